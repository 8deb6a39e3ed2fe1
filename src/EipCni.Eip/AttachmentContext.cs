using EipCni.Cni;

namespace EipCni.Eip;

/// <summary>Everything one verb needs to know about the call: the parsed config, eni_conf, env and the log.</summary>
public sealed record AttachmentContext(NetConf Conf, EniConf EniConf, CniInvocation Invocation, ILog Log);
