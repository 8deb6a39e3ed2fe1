using EipCni.State;

namespace EipCni.Eip;

/// <summary>
/// The EIP work behind the CNI verbs: one small class per verb over a shared core (<see cref="EngineCore"/>), each
/// given its own input (<see cref="EngineCall"/>) taken once from the call.
/// </summary>
public sealed class EipEngine : IEipEngine
{
    public const string ConditionType = EngineCore.ConditionType;

    private readonly EipServices _svc;

    public EipEngine(EipServices services) => _svc = services;

    public Task<string> AddAsync(AttachmentContext ctx, CancellationToken ct) => new AddVerb(Core(ctx)).RunAsync(ct);

    public Task<string> DelAsync(AttachmentContext ctx, CancellationToken ct) => new DelVerb(Core(ctx)).RunAsync(ct);

    public Task CheckAsync(AttachmentContext ctx, CancellationToken ct) => new CheckVerb(Core(ctx)).RunAsync(ct);

    public Task<string> GcAsync(AttachmentContext ctx, CancellationToken ct) => new GcVerb(Core(ctx)).RunAsync(ct);

    public string Status(AttachmentContext ctx) => new StatusVerb(Core(ctx)).Run();

    /// <summary>
    /// The agent's node GC: the CNI GC pass over one network's journal (<paramref name="call"/>'s network and state
    /// dir), with the agent's own judgement of which records are stale; null settles none, only pending work.
    /// </summary>
    public Task<GcReport> CollectGarbageAsync(EngineCall call, Func<AttachmentRecord, bool>? isStale, CancellationToken ct) =>
        new GcVerb(new EngineCore(_svc, call)).CollectAsync(isStale, ct);

    private EngineCore Core(AttachmentContext ctx) => new(_svc, EngineCall.From(ctx));
}
