using EipCni.Cni;
using EipCni.State;

namespace EipCni.Plugin;

/// <summary>
/// The EIP verbs as every call sees them, EIP or not: cheap local checks (no network) decide whether a call has EIP
/// work; only then does <see cref="IEipWork"/> run it. A pod without an EIP costs a config parse and one file probe.
/// </summary>
public sealed class EipPlugin(IEipWork work) : ICniVerbs
{
    /// <summary>The summary of an ADD with the EIP feature off (the agent's metrics tell these ADDs from those with EIP work).</summary>
    public const string FeatureOffSummary = "pass-through";

    /// <summary>The summary of an ADD for a pod that does not ask for an EIP.</summary>
    public const string NotAskedSummary = "no EIP requested";

    public CniOutcome Add(CniCall call)
    {
        var eniConf = LoadEniConf(call);
        if (!eniConf.EnableEipPool) return CniOutcome.Done(FeatureOffSummary);
        if (!PodMayAsk(call)) return CniOutcome.Done(NotAskedSummary);
        RequireValidIdentity(call);
        return work.Run(call, eniConf, TimeSpan.FromSeconds(call.Conf.AddTimeoutSeconds));
    }

    /// <summary>
    /// DEL decides from the journal alone: the feature may have been switched off since ADD (a record is still given
    /// back), and a broken eni_conf must not fail the DEL of a pod without a record (it would stay Terminating).
    /// </summary>
    public CniOutcome Del(CniCall call) =>
        Journal(call).Exists(Key(call))
            ? work.Run(call, null, TimeSpan.FromSeconds(call.Conf.DelTimeoutSeconds))
            : CniOutcome.Done("nothing recorded");

    public CniOutcome Check(CniCall call)
    {
        var eniConf = LoadEniConf(call);
        var asks = eniConf.EnableEipPool && PodMayAsk(call);
        if (!asks && !Journal(call).Exists(Key(call))) return CniOutcome.Done("checked");
        RequireValidIdentity(call);
        return work.Run(call, eniConf, TimeSpan.FromSeconds(call.Conf.AddTimeoutSeconds));
    }

    public CniOutcome Gc(CniCall call) =>
        Journal(call).HasRecords()
            ? work.Run(call, null, TimeSpan.FromSeconds(call.Conf.DelTimeoutSeconds))
            : CniOutcome.Done("nothing recorded");

    /// <summary>
    /// containerd calls STATUS every few seconds and a failure makes the node NotReady. An unusable eni_conf is not
    /// ready; with the feature off nothing else matters; with it on, the agent checks what ADD would need.
    /// </summary>
    public CniOutcome Status(CniCall call)
    {
        EniConf eniConf;
        try
        {
            eniConf = EniConf.Load(call.Conf.EniConfPath, out _);
        }
        catch (CniException e)
        {
            throw new CniException(CniCode.PluginNotAvailable, "eni_conf is unusable", $"{e.Message}: {e.Details}");
        }
        return eniConf.EnableEipPool ? work.Status(call, eniConf) : CniOutcome.Done("ready (EIP feature off)");
    }

    private static Journal Journal(CniCall call) => new(call.Conf.StateDir, call.Conf.Name);

    private static AttachmentKey Key(CniCall call) => new(call.Conf.Name, call.Invocation.ContainerId, call.Invocation.IfName);

    private static EniConf LoadEniConf(CniCall call)
    {
        var eni = EniConf.Load(call.Conf.EniConfPath, out var exists);
        if (!exists && call.Log.IsEnabled(LogLevel.Debug))
            call.Log.Write(LogLevel.Debug, "eni_conf absent: EIP feature off", ("path", call.Conf.EniConfPath));
        return eni;
    }

    /// <summary>With the annotations at hand: does the pod ask (or hold an invalid EIP annotation)? Without them: only the API server knows.</summary>
    private static bool PodMayAsk(CniCall call)
    {
        // Without them the pod must be read from the API server: an invalid identity is then refused (4), never used.
        if (call.Conf.PodAnnotations is not { } annotations) return call.Invocation.Args.NamesPod;
        try
        {
            return EipRequestParser.Parse(annotations).Wanted;
        }
        catch (CniException)
        {
            return true; // the engine fails it with code 7 and posts the Warning event on the pod
        }
    }

    /// <summary>A pod identity that reaches API paths and ownership tags must be valid before any call (code 4).</summary>
    private static void RequireValidIdentity(CniCall call)
    {
        if (call.Invocation.Args.InvalidIdentity is { } bad)
            throw new CniException(CniCode.InvalidEnvironment, $"invalid {bad.Key} in CNI_ARGS", bad.Problem);
    }
}
