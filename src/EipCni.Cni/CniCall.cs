namespace EipCni.Cni;

/// <summary>
/// One CNI call after the protocol checks: the validated environment and network configuration, the raw stdin (a
/// hand-off to another process passes it on unchanged) and the log the call writes its line to.
/// </summary>
public sealed record CniCall(CniInvocation Invocation, NetConf Conf, byte[] Stdin, ILog Log);
