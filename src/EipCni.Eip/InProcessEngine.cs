using EipCni.Cni;
using EipCni.Plugin;
using EipCni.State;

namespace EipCni.Eip;

/// <summary>The EIP work of <c>eip-cni-agent</c>: the engine runs in this process, within the verb's budget.</summary>
public sealed class InProcessEngine(Func<AttachmentContext, IEipEngine> engineFactory) : IEipWork
{
    public CniOutcome Run(CniCall call, EniConf? eniConf, TimeSpan budget)
    {
        var inv = call.Invocation;
        if (!SetAsideUnreadableRecord(call)) return CniOutcome.Done("nothing recorded");
        // DEL and GC decided by the journal alone; eni_conf is read now that there is work (a broken one fails here).
        eniConf ??= EniConf.Load(call.Conf.EniConfPath, out _);
        var ctx = new AttachmentContext(call.Conf, eniConf, inv, call.Log);
        using var cts = new CancellationTokenSource(budget);
        var engine = engineFactory(ctx);
        var summary = inv.Command switch
        {
            CniCommand.Add => engine.AddAsync(ctx, cts.Token),
            CniCommand.Del => engine.DelAsync(ctx, cts.Token),
            CniCommand.Check => CheckAsync(engine, ctx, cts.Token),
            CniCommand.Gc => engine.GcAsync(ctx, cts.Token),
            _ => throw new ArgumentOutOfRangeException(nameof(call), inv.Command, "not a verb with EIP work"),
        };
        return CniOutcome.Done(summary.GetAwaiter().GetResult());
    }

    public CniOutcome Status(CniCall call, EniConf eniConf)
    {
        var ctx = new AttachmentContext(call.Conf, eniConf, call.Invocation, call.Log);
        return CniOutcome.Done(engineFactory(ctx).Status(ctx));
    }

    private static async Task<string> CheckAsync(IEipEngine engine, AttachmentContext ctx, CancellationToken ct)
    {
        await engine.CheckAsync(ctx, ct).ConfigureAwait(false);
        return "checked";
    }

    /// <summary>
    /// Before the engine looks: a record that cannot be read is quarantined (and logged), so it reads as absent. ADD
    /// proceeds as for a new attachment (the ownership tags still find its EIP); DEL has nothing left to do (false).
    /// CHECK cannot vouch for an EIP whose record was lost: it fails, naming the quarantined file. Also where a state
    /// dir that is not safe to trust fails the call (5).
    /// </summary>
    private static bool SetAsideUnreadableRecord(CniCall call)
    {
        var inv = call.Invocation;
        if (inv.Command is not (CniCommand.Add or CniCommand.Del or CniCommand.Check)) return true;
        var journal = new Journal(call.Conf.StateDir, call.Conf.Name, call.Log);
        var key = new AttachmentKey(call.Conf.Name, inv.ContainerId, inv.IfName);
        if (journal.Read(key) is not null) return true;
        if (inv.Command == CniCommand.Check && journal.QuarantinedCopies(key).FirstOrDefault() is { } copy)
            throw new CniException(CniCode.BindingMismatch, "the journal record of this attachment could not be read, so its EIP cannot be checked",
                $"the record was moved aside to {copy}; a new ADD of the pod records its EIP again");
        return inv.Command != CniCommand.Del;
    }
}
