using System.Text.Json.Serialization;

namespace EipCni.Cloud;

/// <summary>Source-generated JSON for every cloud answer and the credential cache (reflection is off under NativeAOT).</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(CloudErrorBody))]
[JsonSerializable(typeof(CloudAck))]
[JsonSerializable(typeof(AllocateEipResult))]
[JsonSerializable(typeof(DescribeEipAddressesResponse))]
[JsonSerializable(typeof(DescribeNetworkInterfacesResponse))]
[JsonSerializable(typeof(AssumeRoleWithOidcResponse))]
[JsonSerializable(typeof(RamRoleCredentialDocument))]
[JsonSerializable(typeof(CredentialCacheFile))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class CloudJsonContext : JsonSerializerContext
{
}
