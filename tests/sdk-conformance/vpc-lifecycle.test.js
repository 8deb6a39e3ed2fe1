'use strict';
// The full EIP lifecycle through the official @alicloud/vpc20160428 SDK, once signed with V3 (the SDK default)
// and once with V2 (openapi-core's Config.signatureAlgorithm = 'v2' routes the call through doRPCRequest).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { startSim, vpcClient, until, Vpc } = require('./lib/sim');

for (const [label, signatureAlgorithm] of [['V3 (ACS3-HMAC-SHA256)', undefined], ['V2 (HMAC-SHA1)', 'v2']]) {
  describe(`EIP lifecycle, ${label}`, () => {
    let sim;
    let vpc;
    before(async () => {
      sim = await startSim(['--associate-ms', '400', '--unassociate-ms', '400', '--release-ms', '300']);
      vpc = vpcClient(sim, { signatureAlgorithm });
    });
    after(() => sim.stop());

    const describeOne = async (allocationId) => {
      const r = await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: sim.world.region, allocationId }));
      return r.body.eipAddresses.eipAddress[0];
    };

    it('allocates with every option, tags, joins and leaves a bandwidth package, binds to an ENI secondary IP, unbinds and releases', async () => {
      const { region } = sim.world;
      const eni = sim.world.enis[1];
      const podIp = eni.secondaryIps[4];
      const cbwp = sim.world.bandwidthPackages[0];
      const clientToken = randomUUID();
      const allocateRequest = () => new Vpc.AllocateEipAddressRequest({
        regionId: region,
        bandwidth: '10',
        internetChargeType: 'PayByTraffic',
        instanceChargeType: 'PostPaid',
        ISP: 'BGP',
        publicIpAddressPoolId: 'pippool-conformance1',
        resourceGroupId: 'rg-acfmconformance',
        name: 'pod eip/ns*a~b',
        description: '中文 test!\'()',
        securityProtectionTypes: ['AntiDDoS_Enhanced'],
        tag: [new Vpc.AllocateEipAddressRequestTag({ key: 'k8s.io/pod', value: 'default/nginx-0' })],
        clientToken,
      });

      const first = await vpc.allocateEipAddress(allocateRequest());
      assert.equal(first.statusCode, 200);
      const { allocationId, eipAddress } = first.body;
      assert.match(allocationId, /^eip-/);
      assert.match(eipAddress, /^(203\.0\.113|198\.51\.100)\.\d+$/);
      assert.equal(first.body.resourceGroupId, 'rg-acfmconformance');
      assert.ok(first.body.requestId);

      // A retry with the same ClientToken and parameters returns the first result and allocates nothing new.
      const again = await vpc.allocateEipAddress(allocateRequest());
      assert.deepEqual([again.body.allocationId, again.body.eipAddress], [allocationId, eipAddress]);
      const ours = (await sim.admin.get('/_sim/eips')).eips.filter((e) => e.allocatedBy === 'api');
      assert.equal(ours.length, 1);
      assert.deepEqual(
        [ours[0].bandwidth, ours[0].internetChargeType, ours[0].chargeType, ours[0].isp, ours[0].publicIpAddressPoolId,
          ours[0].name, ours[0].description, ours[0].securityProtectionTypes, ours[0].tags],
        [10, 'PayByTraffic', 'PostPaid', 'BGP', 'pippool-conformance1', 'pod eip/ns*a~b', '中文 test!\'()', ['AntiDDoS_Enhanced'],
          { 'k8s.io/pod': 'default/nginx-0' }]);

      await vpc.tagResources(new Vpc.TagResourcesRequest({
        regionId: region, resourceType: 'EIP', resourceId: [allocationId],
        tag: [new Vpc.TagResourcesRequestTag({ key: 'eip-cni/cluster', value: 'c1' })],
      }));

      await vpc.addCommonBandwidthPackageIp(new Vpc.AddCommonBandwidthPackageIpRequest({
        regionId: region, bandwidthPackageId: cbwp, ipInstanceId: allocationId, clientToken: randomUUID(),
      }));
      let eip = await describeOne(allocationId);
      assert.equal(eip.bandwidthPackageId, cbwp);
      assert.equal(eip.bandwidthPackageType, 'CommonBandwidthPackage');
      await vpc.removeCommonBandwidthPackageIp(new Vpc.RemoveCommonBandwidthPackageIpRequest({
        regionId: region, bandwidthPackageId: cbwp, ipInstanceId: allocationId, clientToken: randomUUID(),
      }));
      assert.equal((await describeOne(allocationId)).bandwidthPackageId, '');

      await vpc.associateEipAddress(new Vpc.AssociateEipAddressRequest({
        regionId: region, allocationId, instanceId: eni.networkInterfaceId, instanceType: 'NetworkInterface',
        privateIpAddress: podIp, clientToken: randomUUID(),
      }));
      assert.equal((await describeOne(allocationId)).status, 'Associating');
      eip = await until(async () => { const e = await describeOne(allocationId); return e.status === 'InUse' && e; });
      assert.deepEqual([eip.instanceId, eip.instanceType, eip.privateIpAddress, eip.ipAddress, eip.mode],
        [eni.networkInterfaceId, 'NetworkInterface', podIp, eipAddress, 'NAT']);
      assert.equal(typeof eip.bandwidth, 'string');
      assert.equal(eip.bandwidth, '10');
      assert.deepEqual(eip.securityProtectionTypes.securityProtectionType, ['AntiDDoS_Enhanced']);
      assert.deepEqual(eip.tags.tag.map((t) => [t.key, t.value]), [['k8s.io/pod', 'default/nginx-0'], ['eip-cni/cluster', 'c1']]);

      const byEni = await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({
        regionId: region, associatedInstanceType: 'NetworkInterface', associatedInstanceId: eni.networkInterfaceId, pageSize: 100,
      }));
      assert.deepEqual(byEni.body.eipAddresses.eipAddress.map((e) => e.allocationId), [allocationId]);
      assert.equal(byEni.body.totalCount, 1);

      const byTag = await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({
        regionId: region, tag: [new Vpc.DescribeEipAddressesRequestTag({ key: 'eip-cni/cluster', value: 'c1' })],
      }));
      assert.deepEqual(byTag.body.eipAddresses.eipAddress.map((e) => e.allocationId), [allocationId]);
      const noTag = await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({
        regionId: region, tag: [new Vpc.DescribeEipAddressesRequestTag({ key: 'eip-cni/cluster', value: 'other' })],
      }));
      assert.equal(noTag.body.totalCount, 0);

      await vpc.unassociateEipAddress(new Vpc.UnassociateEipAddressRequest({
        regionId: region, allocationId, instanceId: eni.networkInterfaceId, instanceType: 'NetworkInterface',
        privateIpAddress: podIp, clientToken: randomUUID(),
      }));
      assert.equal((await describeOne(allocationId)).status, 'Unassociating');
      eip = await until(async () => { const e = await describeOne(allocationId); return e.status === 'Available' && e; });
      assert.equal(eip.instanceId, '');

      await vpc.releaseEipAddress(new Vpc.ReleaseEipAddressRequest({ regionId: region, allocationId }));
      await until(async () => (await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: region, allocationId }))).body.totalCount === 0);
      assert.equal((await sim.admin.get('/_sim/eips')).eips.filter((e) => e.allocatedBy === 'api').length, 0);

      // Every call was signed the way this block says, and nothing secret reached the request log or stderr.
      const log = (await sim.admin.get('/_sim/requests')).requests;
      assert.ok(log.length >= 12);
      assert.ok(log.every((r) => r.httpStatus === 200 && r.accessKeyId === sim.world.accessKeyId));
      assert.deepEqual([...new Set(log.map((r) => r.signatureVersion))], [signatureAlgorithm === 'v2' ? 'V2' : 'V3']);
      const leaked = JSON.stringify(log) + sim.stderr();
      assert.ok(!leaked.includes(sim.world.accessKeySecret), 'the AccessKey secret leaked');
      assert.ok(!/"Signature"/.test(JSON.stringify(log)), 'a signature was recorded');
    });

    it('binding to the ENI primary IP reports an empty PrivateIpAddress (the admin view keeps the real IP)', async () => {
      const eni = sim.world.enis[0];
      const { body } = await vpc.allocateEipAddress(new Vpc.AllocateEipAddressRequest({ regionId: sim.world.region }));
      await vpc.associateEipAddress(new Vpc.AssociateEipAddressRequest({
        regionId: sim.world.region, allocationId: body.allocationId, instanceId: eni.networkInterfaceId,
        instanceType: 'NetworkInterface', privateIpAddress: eni.primaryIp,
      }));
      const eip = await until(async () => { const e = await describeOne(body.allocationId); return e.status === 'InUse' && e; });
      assert.equal(eip.privateIpAddress, '');
      const admin = (await sim.admin.get('/_sim/eips')).eips.find((e) => e.allocationId === body.allocationId);
      assert.equal(admin.privateIpAddress, eni.primaryIp);
    });
  });
}
