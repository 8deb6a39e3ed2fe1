using System.Text.Json;
using System.Text.Json.Serialization;
using EipCni.Cloud;
using EipCni.Cni;
using EipCni.State;

namespace EipCni.Eip;

[JsonSerializable(typeof(Dictionary<string, EniBinding>))]
internal sealed partial class EniCacheJsonContext : JsonSerializerContext;
