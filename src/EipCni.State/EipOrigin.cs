using System.Text.Json.Serialization;

namespace EipCni.State;

/// <summary>How the EIP came to this attachment.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EipOrigin>))]
public enum EipOrigin
{
    /// <summary>Allocated by eip-cni for this pod (ours to release).</summary>
    Automatic,
    /// <summary>Named by the pod (pod-eip-instanceid): only ever bound and unbound, never modified or released.</summary>
    UserSpecified,
}
