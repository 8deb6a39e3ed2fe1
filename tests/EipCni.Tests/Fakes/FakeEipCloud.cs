using EipCni.Cni;
using System.Globalization;
using EipCni.Cloud;

namespace EipCni.Tests.Fakes;

/// <summary>
/// An in-memory <see cref="IEipCloud"/> for unit tests, like host-local's fake store: the EIP state machine of
/// docs/cloud-api.md §6 (Available → Associating → InUse → Unassociating → Available; Releasing → gone) driven by the
/// injected clock, ClientToken replay (same token and parameters → the first answer; other parameters →
/// IdempotentParameterMismatch; still in flight → LastTokenProcessing), ownership tags, the guards the engine meets
/// (quota, Duplicated, IncorrectEipStatus, InvalidBindingStatus, bandwidth packages) and scripted faults
/// (<see cref="Fail"/>, <see cref="LoseAnswer"/>, <see cref="CommitLate"/>). Thread-safe; every call is logged.
/// </summary>
/// <remarks>
/// Unlike the AliyunSim process this never signs, throttles or pages: it answers the way <see cref="EipCloud"/> would
/// once its retries are done, so a fault scripted here is what the engine sees.
/// </remarks>
public sealed partial class FakeEipCloud : IEipCloud
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, FakeEip> _eips = new(StringComparer.Ordinal);
    private readonly List<FakeEip> _gone = [];
    private readonly Dictionary<(string Action, string Token), TokenEntry> _tokens = [];
    private readonly List<CloudCall> _calls = [];
    private int _nextEip;
    private int _nextRequest;

    public FakeEipCloud(TimeProvider time) => _time = time;

    /// <summary>How long Associating, Unassociating and Releasing last on the injected clock (zero: at once).</summary>
    public TimeSpan AssociateDelay { get; set; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan UnassociateDelay { get; set; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan ReleaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Pay-as-you-go EIPs the account may hold (the cloud's default is 20).</summary>
    public int Quota { get; set; } = 20;

    /// <summary>What a mutation of an EIP in transition answers: IncorrectEipStatus, or TaskConflict as some tools saw.</summary>
    public string TransitionConflictCode { get; set; } = "IncorrectEipStatus";

    /// <summary>Primary IP of each ENI: a binding to it reads back with an empty PrivateIpAddress, as on the real cloud.</summary>
    public Dictionary<string, string> EniPrimaryIps { get; } = new(StringComparer.Ordinal);

    /// <summary>Every call in order, with its outcome.</summary>
    public IReadOnlyList<CloudCall> Calls
    {
        get { lock (_gate) return _calls.ToList(); }
    }

    /// <summary>Calls of one action that reached the cloud (faulted or not).</summary>
    public int CallCount(string action) => Calls.Count(c => c.Action == action);

    /// <summary>EIPs that exist now (Releasing ones included until they are gone).</summary>
    public IReadOnlyList<FakeEip> Eips
    {
        get { lock (_gate) { Tick(); return _eips.Values.Select(e => e.Clone()).ToList(); } }
    }

    /// <summary>EIPs released and gone.</summary>
    public IReadOnlyList<FakeEip> Released
    {
        get { lock (_gate) { Tick(); return _gone.Select(e => e.Clone()).ToList(); } }
    }

    /// <summary>A snapshot of one EIP, or null once it is gone.</summary>
    public FakeEip? Get(string allocationId)
    {
        lock (_gate)
        {
            Tick();
            return _eips.TryGetValue(allocationId, out var e) ? e.Clone() : null;
        }
    }

    // ------------------------------------------------------------------ IEipCloud

    public Task<AllocateEipResult> AllocateEipAddressAsync(AllocateEipRequest request, CancellationToken cancellationToken) =>
        Run("AllocateEipAddress", null, request.ClientToken, AllocateFingerprint(request), cancellationToken, () =>
        {
            if (_eips.Count >= Quota)
                throw Refuse("AllocateEipAddress", "QuotaExceeded.Eip", "The EIP quota is exhausted.", 400);
            var n = ++_nextEip;
            var eip = new FakeEip
            {
                AllocationId = $"eip-fake{n:D4}",
                IpAddress = $"47.100.{n / 250}.{n % 250 + 1}",
                Status = "Available",
                Origin = "api",
            };
            foreach (var (k, v) in request.Tags ?? []) eip.Tags[k] = v;
            _eips.Add(eip.AllocationId, eip);
            return new AllocateEipResult { AllocationId = eip.AllocationId, EipAddress = eip.IpAddress, RequestId = NextRequestId() };
        });

    public async Task<string> AssociateEipAddressAsync(AssociateEipRequest request, CancellationToken cancellationToken) =>
        (await Run("AssociateEipAddress", request.AllocationId, request.ClientToken,
            $"{request.AllocationId}|{request.InstanceId}|{request.InstanceType}|{request.PrivateIpAddress}|{request.Mode}", cancellationToken, () =>
        {
            var eip = Find("AssociateEipAddress", request.AllocationId);
            RefuseTransition("AssociateEipAddress", eip);
            if (eip.Status != "Available")
                throw Refuse("AssociateEipAddress", "IncorrectEipStatus", $"The EIP {eip.AllocationId} is {eip.Status}.", 400);
            var holder = _eips.Values.FirstOrDefault(e => e != eip && e.InstanceId == request.InstanceId
                && e.PrivateIp == request.PrivateIpAddress && e.Status is "Associating" or "InUse" or "Unassociating");
            if (holder is not null)
                throw Refuse("AssociateEipAddress", "InvalidAssociation.Duplicated",
                    $"{request.InstanceId} {request.PrivateIpAddress} already carries {holder.AllocationId}.", 400);
            eip.InstanceId = request.InstanceId;
            eip.InstanceType = request.InstanceType;
            eip.PrivateIp = request.PrivateIpAddress;
            StartTransition(eip, "Associating", "InUse", AssociateDelay);
            return new Ack(NextRequestId());
        }).ConfigureAwait(false)).RequestId;

    public async Task<string> UnassociateEipAddressAsync(UnassociateEipRequest request, CancellationToken cancellationToken) =>
        (await Run("UnassociateEipAddress", request.AllocationId, request.ClientToken,
            $"{request.AllocationId}|{request.InstanceId}|{request.InstanceType}|{request.PrivateIpAddress}", cancellationToken, () =>
        {
            var eip = Find("UnassociateEipAddress", request.AllocationId);
            RefuseTransition("UnassociateEipAddress", eip);
            if (eip.Status != "InUse")
                throw Refuse("UnassociateEipAddress", "IncorrectEipStatus", $"The EIP {eip.AllocationId} is {eip.Status}.", 400);
            if ((request.InstanceId is not null && request.InstanceId != eip.InstanceId)
                || (request.InstanceId is not null && request.InstanceType is not null && request.InstanceType != eip.InstanceType)
                || (request.PrivateIpAddress is not null && request.PrivateIpAddress != eip.PrivateIp))
                throw Refuse("UnassociateEipAddress", "InvalidBindingStatus", $"The EIP {eip.AllocationId} is not bound to the specified instance or private IP.", 400);
            StartTransition(eip, "Unassociating", "Available", UnassociateDelay);
            return new Ack(NextRequestId());
        }).ConfigureAwait(false)).RequestId;

    public async Task<string> ReleaseEipAddressAsync(string allocationId, CancellationToken cancellationToken) =>
        (await Run("ReleaseEipAddress", allocationId, null, "", cancellationToken, () =>
        {
            var eip = Find("ReleaseEipAddress", allocationId);
            RefuseTransition("ReleaseEipAddress", eip);
            if (eip.Status != "Available")
                throw Refuse("ReleaseEipAddress", "IncorrectEipStatus", $"The EIP {eip.AllocationId} is {eip.Status}.", 400);
            if (eip.BandwidthPackageId is not null)
                throw Refuse("ReleaseEipAddress", "OperationUnsupported.EipInCbwp", $"The EIP {eip.AllocationId} is in {eip.BandwidthPackageId}.", 400);
            StartTransition(eip, "Releasing", null, ReleaseDelay);
            return new Ack(NextRequestId());
        }).ConfigureAwait(false)).RequestId;

    public Task<IReadOnlyList<EipAddress>> DescribeEipAddressesAsync(EipQuery query, CancellationToken cancellationToken) =>
        Run<IReadOnlyList<EipAddress>>("DescribeEipAddresses", query.AllocationIds is { Count: 1 } one ? one[0] : null, null, null, cancellationToken,
            () => Matching(query).Select(View).ToList());

    /// <summary>A page of 100, like the cloud's largest; the pages are cut from the state at the time of each call.</summary>
    public Task<EipPage> DescribeEipAddressesPageAsync(EipQuery query, int pageNumber, CancellationToken cancellationToken) =>
        Run("DescribeEipAddresses", query.AllocationIds is { Count: 1 } one ? one[0] : null, null, null, cancellationToken, () =>
        {
            var all = Matching(query).ToList();
            return new EipPage(all.Skip((pageNumber - 1) * 100).Take(100).Select(View).ToList(), all.Count, pageNumber, 100);
        });

    private IEnumerable<FakeEip> Matching(EipQuery query)
    {
        IEnumerable<FakeEip> found = _eips.Values;
        if (query.AllocationIds is { } ids) found = found.Where(e => ids.Contains(e.AllocationId));
        if (query.EipAddress is { } ip) found = found.Where(e => e.IpAddress == ip);
        if (query.AssociatedInstanceId is { } instance) found = found.Where(e => e.InstanceId == instance);
        if (query.AssociatedInstanceType is { } type) found = found.Where(e => e.InstanceType == type);
        if (query.Status is { } status) found = found.Where(e => e.Status == status);
        foreach (var (k, v) in query.Tags ?? []) found = found.Where(e => e.Tags.TryGetValue(k, out var t) && t == v);
        return found.OrderBy(e => e.AllocationId, StringComparer.Ordinal);
    }

    public async Task<string> AddCommonBandwidthPackageIpAsync(string bandwidthPackageId, string allocationId, string? clientToken, CancellationToken cancellationToken) =>
        (await Run("AddCommonBandwidthPackageIp", allocationId, clientToken, $"{bandwidthPackageId}|{allocationId}", cancellationToken, () =>
        {
            var eip = Find("AddCommonBandwidthPackageIp", allocationId);
            if (eip.BandwidthPackageId is not null)
                throw Refuse("AddCommonBandwidthPackageIp", "OperationFailed.EipAlreadyInCbwp", $"The EIP {allocationId} is already in {eip.BandwidthPackageId}.", 400);
            eip.BandwidthPackageId = bandwidthPackageId;
            return new Ack(NextRequestId());
        }).ConfigureAwait(false)).RequestId;

    public async Task<string> RemoveCommonBandwidthPackageIpAsync(string bandwidthPackageId, string allocationId, string? clientToken, CancellationToken cancellationToken) =>
        (await Run("RemoveCommonBandwidthPackageIp", allocationId, clientToken, $"{bandwidthPackageId}|{allocationId}", cancellationToken, () =>
        {
            if (!_eips.TryGetValue(allocationId, out var eip) || eip.BandwidthPackageId != bandwidthPackageId)
                throw Refuse("RemoveCommonBandwidthPackageIp", "OperationUnsupported.IpNotInCbwp", $"The EIP {allocationId} is not in {bandwidthPackageId}.", 400);
            eip.BandwidthPackageId = null;
            return new Ack(NextRequestId());
        }).ConfigureAwait(false)).RequestId;

    public async Task<string> TagResourcesAsync(IReadOnlyList<string> allocationIds, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken cancellationToken) =>
        (await Run("TagResources", allocationIds.Count == 1 ? allocationIds[0] : null, null, null, cancellationToken, () =>
        {
            var eips = allocationIds.Select(id => _eips.TryGetValue(id, out var e) ? e
                : throw Refuse("TagResources", "InvalidResourceId.NotFound", $"The specified resource does not exist: {id}", 404)).ToList();
            foreach (var eip in eips)
            {
                foreach (var (k, v) in tags) eip.Tags[k] = v;
                if (eip.Tags.Count > 20)
                    throw Refuse("TagResources", "QuotaExceeded.TagNum", $"{eip.AllocationId} would carry {eip.Tags.Count} tags.", 400);
            }
            return new Ack(NextRequestId());
        }).ConfigureAwait(false)).RequestId;

    // ------------------------------------------------------------------ the console, behind the client's back

    /// <summary>Creates an EIP directly (a user's own EIP, another cluster's, a planted one). Available unless bound.</summary>
    public FakeEip Seed(string allocationId, string ipAddress, IEnumerable<KeyValuePair<string, string>>? tags = null,
        string? boundToEni = null, string? boundToIp = null)
    {
        lock (_gate)
        {
            var eip = new FakeEip { AllocationId = allocationId, IpAddress = ipAddress, Status = "Available", Origin = "console" };
            foreach (var (k, v) in tags ?? []) eip.Tags[k] = v;
            if (boundToEni is not null)
            {
                eip.Status = "InUse";
                eip.InstanceId = boundToEni;
                eip.InstanceType = "NetworkInterface";
                eip.PrivateIp = boundToIp;
            }
            _eips.Add(allocationId, eip);
            return eip.Clone();
        }
    }

    /// <summary>Binds at once (InUse), as a console user would after the transition.</summary>
    public void BindNow(string allocationId, string eni, string ip)
    {
        lock (_gate)
        {
            var eip = _eips[allocationId];
            eip.Status = "InUse";
            eip.InstanceId = eni;
            eip.InstanceType = "NetworkInterface";
            eip.PrivateIp = ip;
            eip.TransitionDue = null;
            eip.TransitionTo = null;
        }
    }

    /// <summary>Unbinds at once (Available).</summary>
    public void UnbindNow(string allocationId)
    {
        lock (_gate)
        {
            var eip = _eips[allocationId];
            eip.Status = "Available";
            eip.InstanceId = null;
            eip.InstanceType = null;
            eip.PrivateIp = null;
            eip.TransitionDue = null;
            eip.TransitionTo = null;
        }
    }

    /// <summary>Deletes at once, bound or not.</summary>
    public void DeleteNow(string allocationId)
    {
        lock (_gate)
        {
            if (_eips.Remove(allocationId, out var eip)) _gone.Add(eip);
        }
    }

    /// <summary>Freezes an EIP in a transition status (e.g. Associating with no end) until <see cref="BindNow"/> or <see cref="UnbindNow"/>.</summary>
    public void Freeze(string allocationId, string status)
    {
        lock (_gate)
        {
            var eip = _eips[allocationId];
            eip.Status = status;
            eip.TransitionDue = null;
            eip.TransitionTo = null;
        }
    }

    // ------------------------------------------------------------------ machinery

    private sealed record Ack(string RequestId);

    private sealed class TokenEntry
    {
        public required string Fingerprint { get; init; }
        public object? Result { get; set; }
        public CloudException? Failure { get; set; }
        public DateTimeOffset? InFlightUntil { get; set; }
        public Func<object>? Pending { get; set; }
    }

    private async Task<T> Run<T>(string action, string? allocationId, string? token, string? fingerprint, CancellationToken ct, Func<T> effect)
        where T : class
    {
        // Like the real client: a call that starts after the budget is gone is a deadline, not an answer.
        await Task.Yield();
        if (ct.IsCancellationRequested)
            throw new CloudException(action, CloudErrorCodes.DeadlineExceeded, "no answer before the budget of this CNI call ran out", null, 0);
        lock (_gate)
        {
            Tick();
            var fault = TakeFault(action, allocationId);
            if (fault?.Kind == FaultKind.Fail)
            {
                Log(action, allocationId, token, $"fault {fault.Code}");
                // The text says "not found" on purpose: DEL and GC errors must quote codes, never the cloud's free text.
                throw new CloudException(action, fault.Code, "scripted fault (the specified resource is not found)", fault.HttpStatus == 0 ? null : NextRequestId(), fault.HttpStatus);
            }
            if (token is not null && _tokens.TryGetValue((action, token), out var entry))
            {
                if (entry.Fingerprint != fingerprint)
                {
                    Log(action, allocationId, token, "IdempotentParameterMismatch");
                    throw Refuse(action, "IdempotentParameterMismatch", "The ClientToken was used with other parameters.", 400);
                }
                if (entry.InFlightUntil is not null)
                {
                    Log(action, allocationId, token, "LastTokenProcessing");
                    throw Refuse(action, "LastTokenProcessing", "The last token request is processing.", 403);
                }
                Log(action, allocationId, token, entry.Failure is null ? "replayed" : $"replayed {entry.Failure.Code}");
                if (entry.Failure is not null) throw entry.Failure;
                return (T)entry.Result!;
            }
            if (fault?.Kind == FaultKind.CommitLate)
            {
                if (token is not null)
                    _tokens[(action, token)] = new TokenEntry { Fingerprint = fingerprint!, InFlightUntil = _time.GetUtcNow() + fault.Delay, Pending = () => effect() };
                else
                    _late.Add((_time.GetUtcNow() + fault.Delay, () => effect()));
                Log(action, allocationId, token, "no answer (commits late)");
                throw new CloudException(action, CloudErrorCodes.RequestTimeout, "no answer within 10 s", null, 0);
            }
            T result;
            try
            {
                result = effect();
            }
            catch (CloudException e)
            {
                Log(action, allocationId, token, e.Code);
                throw;
            }
            if (token is not null) _tokens[(action, token)] = new TokenEntry { Fingerprint = fingerprint!, Result = result };
            if (fault?.Kind == FaultKind.LoseAnswer)
            {
                Log(action, allocationId, token, "applied, answer lost");
                throw new CloudException(action, CloudErrorCodes.RequestTimeout, "no answer within 10 s", null, 0);
            }
            Log(action, allocationId, token, "ok");
            return result;
        }
    }

    private readonly List<(DateTimeOffset Due, Func<object> Effect)> _late = [];

    /// <summary>Applies what the clock says is over: transitions, late commits.</summary>
    private void Tick()
    {
        var now = _time.GetUtcNow();
        foreach (var eip in _eips.Values.ToList())
        {
            if (eip.TransitionDue is not { } due || due > now) continue;
            if (eip.TransitionTo is null)
            {
                _eips.Remove(eip.AllocationId);
                eip.Status = "Released";
                _gone.Add(eip);
                continue;
            }
            eip.Status = eip.TransitionTo;
            if (eip.Status == "Available")
            {
                eip.InstanceId = null;
                eip.InstanceType = null;
                eip.PrivateIp = null;
            }
            eip.TransitionDue = null;
            eip.TransitionTo = null;
        }
        foreach (var entry in _tokens.Values.Where(t => t.InFlightUntil <= now).ToList())
        {
            entry.InFlightUntil = null;
            try
            {
                entry.Result = entry.Pending!();
            }
            catch (CloudException e)
            {
                entry.Failure = e;
            }
            entry.Pending = null;
        }
        foreach (var late in _late.Where(l => l.Due <= now).ToList())
        {
            _late.Remove(late);
            try { late.Effect(); } catch (CloudException) { }
        }
    }

    private void StartTransition(FakeEip eip, string status, string? then, TimeSpan delay)
    {
        eip.Status = status;
        eip.TransitionTo = then;
        eip.TransitionDue = _time.GetUtcNow() + delay;
        if (delay <= TimeSpan.Zero) Tick();
    }

    private FakeEip Find(string action, string allocationId) =>
        _eips.TryGetValue(allocationId, out var eip) ? eip
            : throw Refuse(action, "InvalidAllocationId.NotFound", $"Specified allocation ID {allocationId} is not found.", 404);

    private void RefuseTransition(string action, FakeEip eip)
    {
        if (eip.Status is "Associating" or "Unassociating" or "Releasing")
            throw Refuse(action, TransitionConflictCode, $"The EIP {eip.AllocationId} is {eip.Status}.", 400);
    }

    private CloudException Refuse(string action, string code, string message, int status) =>
        new(action, code, message, NextRequestId(), status);

    private string NextRequestId() => $"FAKE-{++_nextRequest:D6}";

    private void Log(string action, string? allocationId, string? token, string outcome) =>
        _calls.Add(new CloudCall(action, allocationId, token, _time.GetUtcNow(), outcome));

    private EipAddress View(FakeEip e) => new()
    {
        AllocationId = e.AllocationId,
        IpAddress = e.IpAddress,
        Status = e.Status,
        InstanceId = e.InstanceId ?? "",
        InstanceType = e.InstanceType ?? "",
        // The real cloud reports a binding to the ENI's primary IP with an empty PrivateIpAddress.
        PrivateIpAddress = e.PrivateIp is { } ip && e.InstanceId is { } eni && EniPrimaryIps.TryGetValue(eni, out var primary) && primary == ip ? "" : e.PrivateIp ?? "",
        BandwidthPackageId = e.BandwidthPackageId ?? "",
        Tags = new VpcTagList(e.Tags.Select(t => new VpcTag(t.Key, t.Value)).ToList()),
    };

    private static string AllocateFingerprint(AllocateEipRequest r) => string.Join("|",
        r.Bandwidth, r.InternetChargeType, r.InstanceChargeType, r.Isp, r.PublicIpAddressPoolId, r.ResourceGroupId, r.Name, r.Description,
        string.Join(",", r.SecurityProtectionTypes ?? []), string.Join(",", (r.Tags ?? []).Select(t => t.Key + "=" + t.Value)));
}

/// <summary>One call the fake cloud received, and what it did with it.</summary>
public sealed record CloudCall(string Action, string? AllocationId, string? ClientToken, DateTimeOffset At, string Outcome)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{At:HH:mm:ss.fff} {Action} {AllocationId} {Outcome}");
}

/// <summary>One EIP inside <see cref="FakeEipCloud"/> (snapshots are copies).</summary>
public sealed class FakeEip
{
    public required string AllocationId { get; init; }
    public required string IpAddress { get; init; }
    public required string Status { get; set; }
    /// <summary>"api" when allocated through the API, "console" when seeded by a test.</summary>
    public required string Origin { get; init; }
    public string? InstanceId { get; set; }
    public string? InstanceType { get; set; }
    public string? PrivateIp { get; set; }
    public string? BandwidthPackageId { get; set; }
    public Dictionary<string, string> Tags { get; private init; } = new(StringComparer.Ordinal);
    public DateTimeOffset? TransitionDue { get; set; }
    public string? TransitionTo { get; set; }

    public FakeEip Clone() => new()
    {
        AllocationId = AllocationId, IpAddress = IpAddress, Status = Status, Origin = Origin, InstanceId = InstanceId,
        InstanceType = InstanceType, PrivateIp = PrivateIp, BandwidthPackageId = BandwidthPackageId,
        Tags = new Dictionary<string, string>(Tags, StringComparer.Ordinal), TransitionDue = TransitionDue, TransitionTo = TransitionTo,
    };

    public override string ToString() => $"{AllocationId} {Status} {InstanceId} {PrivateIp}";
}
