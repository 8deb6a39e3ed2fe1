using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using EipCni.Http;

namespace EipCni.Cloud;

/// <summary>One ENI of this instance as the metadata service describes it.</summary>
public sealed record MetadataEni(string Mac, string NetworkInterfaceId, string PrimaryIpAddress, IReadOnlyList<string> PrivateIpv4s);
