'use strict';
// Documented error answers, as the official SDK surfaces them (code, HTTP status, ThrottlingError.retryAfter).
const { describe, it, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { startSim, vpcClient, sdkError, until, Vpc } = require('./lib/sim');

describe('VPC error answers through the official SDK', () => {
  let sim;
  let vpc;
  let region;
  before(async () => {
    sim = await startSim(['--associate-ms', '300', '--unassociate-ms', '300', '--release-ms', '200']);
    vpc = vpcClient(sim);
    region = sim.world.region;
  });
  after(() => sim.stop());
  beforeEach(() => sim.admin.post('/_sim/reset'));

  const allocate = async (extra = {}) => (await vpc.allocateEipAddress(new Vpc.AllocateEipAddressRequest({ regionId: region, ...extra }))).body;
  const bind = (allocationId, ip, eni = sim.world.enis[1]) => vpc.associateEipAddress(new Vpc.AssociateEipAddressRequest({
    regionId: region, allocationId, instanceId: eni.networkInterfaceId, instanceType: 'NetworkInterface', privateIpAddress: ip,
  }));
  const status = async (allocationId) => (await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: region, allocationId })))
    .body.eipAddresses.eipAddress[0]?.status;

  for (const [label, signatureAlgorithm] of [['V3', undefined], ['V2', 'v2']]) {
    it(`a wrong secret is SignatureDoesNotMatch (400) with ${label}`, async () => {
      const bad = vpcClient(sim, { signatureAlgorithm, accessKeySecret: 'not-the-secret' });
      const e = await sdkError(bad.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: region })));
      assert.equal(e.code, 'SignatureDoesNotMatch');
      assert.equal(e.statusCode, 400);
      assert.ok(e.data.RequestId && e.data.HostId && e.data.Recommend.includes('SignatureDoesNotMatch'));
    });
  }

  it('an unknown AccessKey is InvalidAccessKeyId.NotFound', async () => {
    const stranger = vpcClient({ ...sim, world: { ...sim.world, accessKeyId: 'LTAIunknownunknown00' } });
    const e = await sdkError(stranger.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: region })));
    assert.deepEqual([e.code, e.statusCode], ['InvalidAccessKeyId.NotFound', 404]);
  });

  it('an unknown allocation ID is InvalidAllocationId.NotFound (404)', async () => {
    const e = await sdkError(bind('eip-doesnotexist000000', sim.world.enis[1].secondaryIps[0]));
    assert.deepEqual([e.code, e.statusCode], ['InvalidAllocationId.NotFound', 404]);
    const r = await sdkError(vpc.releaseEipAddress(new Vpc.ReleaseEipAddressRequest({ regionId: region, allocationId: 'eip-doesnotexist000000' })));
    assert.equal(r.code, 'InvalidAllocationId.NotFound');
  });

  it('wrong states: IncorrectEipStatus for releasing an InUse EIP, unbinding an unbound one, and mutating during a transition', async () => {
    const a = await allocate();
    const e1 = await sdkError(vpc.unassociateEipAddress(new Vpc.UnassociateEipAddressRequest({ regionId: region, allocationId: a.allocationId })));
    assert.deepEqual([e1.code, e1.statusCode], ['IncorrectEipStatus', 400]);
    await bind(a.allocationId, sim.world.enis[1].secondaryIps[0]);
    const during = await sdkError(vpc.releaseEipAddress(new Vpc.ReleaseEipAddressRequest({ regionId: region, allocationId: a.allocationId })));
    assert.equal(during.code, 'IncorrectEipStatus');
    await sim.admin.post('/_sim/config', { transitionConflictCode: 'TaskConflict' });
    try {
      const tc = await sdkError(bind(a.allocationId, sim.world.enis[1].secondaryIps[1]));
      assert.equal(tc.code, 'TaskConflict');
    } finally {
      await sim.admin.post('/_sim/config', { transitionConflictCode: 'IncorrectEipStatus' });
    }
    await until(async () => (await status(a.allocationId)) === 'InUse');
    const e2 = await sdkError(vpc.releaseEipAddress(new Vpc.ReleaseEipAddressRequest({ regionId: region, allocationId: a.allocationId })));
    assert.deepEqual([e2.code, e2.statusCode], ['IncorrectEipStatus', 400]);
  });

  it('the same (ENI, private IP) cannot take a second EIP: InvalidAssociation.Duplicated', async () => {
    const ip = sim.world.enis[1].secondaryIps[2];
    const [a, b] = [await allocate(), await allocate()];
    await bind(a.allocationId, ip);
    const e = await sdkError(bind(b.allocationId, ip));
    assert.deepEqual([e.code, e.statusCode], ['InvalidAssociation.Duplicated', 400]);
  });

  it('invalid parameters are InvalidParameter (400) and nothing is allocated', async () => {
    for (const extra of [{ bandwidth: '201', internetChargeType: 'PayByTraffic' }, { ISP: 'Nope' }, { instanceChargeType: 'PrePaid' },
      { internetChargeType: 'Free' }]) {
      const e = await sdkError(allocate(extra));
      assert.deepEqual([e.code, e.statusCode], ['InvalidParameter', 400], JSON.stringify(extra));
    }
    assert.equal((await sim.admin.get('/_sim/eips')).eips.filter((x) => x.allocatedBy === 'api').length, 0);
  });

  it('the 20-EIP quota gives QuotaExceeded.Eip (the seed EIP counts)', async () => {
    for (let i = 1; i < 20; i++) await allocate();
    const e = await sdkError(allocate());
    assert.deepEqual([e.code, e.statusCode], ['QuotaExceeded.Eip', 400]);
  });

  it('throttling is Throttling.User (400) with x-acs-retry-after, which the SDK exposes as retryAfter', async () => {
    await sim.admin.post('/_sim/config', { limits: { DescribeEipAddresses: 3 } });
    try {
      for (let i = 0; i < 3; i++) await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: region }));
      const e = await sdkError(vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: region })));
      assert.equal(e.name, 'ThrottlingError');
      assert.deepEqual([e.code, e.statusCode], ['Throttling.User', 400]);
      assert.match(e.message, /Request was denied due to user flow control\./);
      assert.ok(e.retryAfter > 0 && e.retryAfter <= 20_000, `retryAfter ${e.retryAfter}`);
    } finally {
      await sim.admin.post('/_sim/config', { limits: { DescribeEipAddresses: 600 } });
    }
  });

  it('a burst beyond the documented 120/min AllocateEipAddress limit is throttled', async () => {
    const results = await Promise.allSettled(Array.from({ length: 130 }, () =>
      vpc.allocateEipAddress(new Vpc.AllocateEipAddressRequest({ regionId: region, bandwidth: '999' }))));
    const codes = results.map((r) => r.reason?.code);
    // bandwidth 999 is invalid: each call that passes the throttle is refused with InvalidParameter, so nothing is allocated.
    assert.equal(codes.filter((c) => c === 'InvalidParameter').length, 120);
    assert.equal(codes.filter((c) => c === 'Throttling.User').length, 10);
  });

  it('ClientToken: different parameters → IdempotentParameterMismatch; first call in flight → LastTokenProcessing', async () => {
    const token = randomUUID();
    await allocate({ clientToken: token, bandwidth: '5' });
    const e = await sdkError(allocate({ clientToken: token, bandwidth: '6' }));
    assert.deepEqual([e.code, e.statusCode], ['IdempotentParameterMismatch', 400]);

    await sim.admin.post('/_sim/faults', { action: 'AllocateEipAddress', stallMs: 800, count: 1 });
    const inflight = randomUUID();
    const slow = allocate({ clientToken: inflight });
    await new Promise((r) => setTimeout(r, 200));
    const busy = await sdkError(allocate({ clientToken: inflight }));
    assert.deepEqual([busy.code, busy.statusCode], ['LastTokenProcessing', 403]);
    const done = await slow;
    assert.deepEqual((await allocate({ clientToken: inflight })).allocationId, done.allocationId);
  });

  it('a lost answer (fault afterApply + drop): the retry with the same ClientToken gets the EIP that was created', async () => {
    await sim.admin.post('/_sim/faults', { action: 'AllocateEipAddress', drop: true, afterApply: true, count: 1 });
    const token = randomUUID();
    const lost = await sdkError(allocate({ clientToken: token }));
    assert.equal(lost.code, 'ECONNRESET'); // no answer at all, as when a connection dies after the cloud acted
    const created = (await sim.admin.get('/_sim/eips')).eips.filter((x) => x.allocatedBy === 'api');
    assert.equal(created.length, 1);
    const retry = await allocate({ clientToken: token });
    assert.equal(retry.allocationId, created[0].allocationId);
    assert.equal((await sim.admin.get('/_sim/eips')).eips.filter((x) => x.allocatedBy === 'api').length, 1);
  });

  it('an injected 503 is a ServerError, counted down and then gone', async () => {
    await sim.admin.post('/_sim/faults', { action: 'DescribeEipAddresses', code: 'ServiceUnavailable', httpStatus: 503, count: 2 });
    for (let i = 0; i < 2; i++) {
      const e = await sdkError(vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: region })));
      assert.deepEqual([e.name, e.code, e.statusCode], ['ServerError', 'ServiceUnavailable', 503]);
    }
    await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: region }));
    const log = (await sim.admin.get('/_sim/requests')).requests;
    assert.deepEqual(log.map((r) => r.httpStatus), [503, 503, 200]);
  });

  it('release of an EIP still in a bandwidth package is refused until it is removed', async () => {
    const a = await allocate();
    const cbwp = sim.world.bandwidthPackages[0];
    await vpc.addCommonBandwidthPackageIp(new Vpc.AddCommonBandwidthPackageIpRequest({ regionId: region, bandwidthPackageId: cbwp, ipInstanceId: a.allocationId }));
    const e = await sdkError(vpc.releaseEipAddress(new Vpc.ReleaseEipAddressRequest({ regionId: region, allocationId: a.allocationId })));
    assert.equal(e.code, 'OperationUnsupported.EipInCbwp');
    const missing = await sdkError(vpc.addCommonBandwidthPackageIp(new Vpc.AddCommonBandwidthPackageIpRequest({
      regionId: region, bandwidthPackageId: 'cbwp-doesnotexist', ipInstanceId: a.allocationId })));
    assert.deepEqual([missing.code, missing.statusCode], ['InvalidBandwidthPackageId.NotFound', 404]);
    await vpc.removeCommonBandwidthPackageIp(new Vpc.RemoveCommonBandwidthPackageIpRequest({ regionId: region, bandwidthPackageId: cbwp, ipInstanceId: a.allocationId }));
    const notIn = await sdkError(vpc.removeCommonBandwidthPackageIp(new Vpc.RemoveCommonBandwidthPackageIpRequest({
      regionId: region, bandwidthPackageId: cbwp, ipInstanceId: a.allocationId })));
    assert.equal(notIn.code, 'OperationUnsupported.IpNotInCbwp');
    await vpc.releaseEipAddress(new Vpc.ReleaseEipAddressRequest({ regionId: region, allocationId: a.allocationId }));
  });

  it('24 concurrent allocations (19 tokens, 5 of them sent twice) make exactly 19 EIPs with distinct addresses', async () => {
    // 19 fresh EIPs fit beside the seed EIP under the 20-EIP quota.
    const tokens = Array.from({ length: 19 }, () => randomUUID());
    const results = await Promise.allSettled([...tokens, ...tokens.slice(0, 5)].map((clientToken) => allocate({ clientToken })));
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => r.reason.code);
    // A duplicate racing its first call is refused with LastTokenProcessing or answered with the same EIP; nothing else.
    assert.ok(rejected.every((c) => c === 'LastTokenProcessing'), rejected.join());
    assert.equal(new Set(ok.map((r) => r.allocationId)).size, 19);
    const api = (await sim.admin.get('/_sim/eips')).eips.filter((x) => x.allocatedBy === 'api');
    assert.equal(api.length, 19);
    assert.equal(new Set(api.map((x) => x.ipAddress)).size, 19);
  });
});
