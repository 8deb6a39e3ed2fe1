using System.Net;
using System.Text.Json;

namespace EipCni.Cni;

/// <summary>One attachment the runtime still considers valid (CNI 1.1 GC).</summary>
public sealed record ValidAttachment(string ContainerId, string IfName);
