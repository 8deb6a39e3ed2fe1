using System.Text.Json;
using System.Text.Json.Serialization;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>The ENI that owns a pod IP, and that ENI's primary IP (a binding to it reads back with an empty PrivateIpAddress).</summary>
public sealed record EniBinding(string NetworkInterfaceId, string PrimaryIp, string? Mac);
