using System.Net;
using System.Text.Json;

namespace EipCni.Cni;

/// <summary>Cloud endpoint overrides from the plugin config (null = the region's VPC-internal default).</summary>
public sealed record EndpointOverrides(Uri? Vpc, Uri? Ecs, Uri? Sts, Uri? Metadata);
