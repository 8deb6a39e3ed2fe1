'use strict';
// ECS DescribeNetworkInterfaces through the official @alicloud/ecs20140526 SDK, on the default world and on a seeded one.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startSim, ecsClient, vpcClient, until, Ecs, Vpc } = require('./lib/sim');

describe('DescribeNetworkInterfaces, default world', () => {
  let sim;
  let ecs;
  before(async () => { sim = await startSim(['--associate-ms', '100']); ecs = ecsClient(sim); });
  after(() => sim.stop());
  const dni = (extra) => ecs.describeNetworkInterfaces(new Ecs.DescribeNetworkInterfacesRequest({ regionId: sim.world.region, ...extra }));

  it('lists the instance ENIs with the ECS response shape (TagKey/TagValue tags, PrivateIpSets)', async () => {
    const { body } = await dni({ instanceId: sim.world.instanceId });
    const sets = body.networkInterfaceSets.networkInterfaceSet;
    assert.deepEqual(sets.map((s) => s.networkInterfaceId), sim.world.enis.map((e) => e.networkInterfaceId));
    const secondary = sets[1];
    assert.deepEqual([secondary.type, secondary.macAddress, secondary.privateIpAddress, secondary.vpcId, secondary.instanceId],
      ['Secondary', sim.world.enis[1].mac, sim.world.enis[1].primaryIp, sim.world.vpcId, sim.world.instanceId]);
    assert.deepEqual(secondary.tags.tag.map((t) => [t.tagKey, t.tagValue]), [['creator', 'terway']]);
    const ips = secondary.privateIpSets.privateIpSet;
    assert.equal(ips.length, 40);
    assert.deepEqual([ips[0].privateIpAddress, ips[0].primary, ips[1].primary], [sim.world.enis[1].primaryIp, true, false]);
  });

  it('filters by PrivateIpAddress.N, NetworkInterfaceId.N and VpcId', async () => {
    const podIp = sim.world.enis[1].secondaryIps[7];
    const byIp = await dni({ vpcId: sim.world.vpcId, privateIpAddress: [podIp] });
    assert.deepEqual(byIp.body.networkInterfaceSets.networkInterfaceSet.map((s) => s.networkInterfaceId), [sim.world.enis[1].networkInterfaceId]);
    const byId = await dni({ networkInterfaceId: [sim.world.enis[0].networkInterfaceId] });
    assert.deepEqual(byId.body.networkInterfaceSets.networkInterfaceSet.map((s) => s.type), ['Primary']);
    const otherVpc = await dni({ vpcId: 'vpc-someotherone' });
    assert.equal(otherVpc.body.networkInterfaceSets.networkInterfaceSet.length, 0);
  });

  it('shows a bound EIP on the private IP it is bound to', async () => {
    const vpc = vpcClient(sim);
    const eni = sim.world.enis[1];
    const ip = eni.secondaryIps[3];
    const { body } = await vpc.allocateEipAddress(new Vpc.AllocateEipAddressRequest({ regionId: sim.world.region }));
    await vpc.associateEipAddress(new Vpc.AssociateEipAddressRequest({
      regionId: sim.world.region, allocationId: body.allocationId, instanceId: eni.networkInterfaceId, instanceType: 'NetworkInterface', privateIpAddress: ip,
    }));
    const entry = await until(async () => {
      const r = await dni({ privateIpAddress: [ip] });
      const set = r.body.networkInterfaceSets.networkInterfaceSet[0].privateIpSets.privateIpSet.find((p) => p.privateIpAddress === ip);
      return set.associatedPublicIp?.allocationId && set;
    });
    assert.deepEqual([entry.associatedPublicIp.allocationId, entry.associatedPublicIp.publicIpAddress], [body.allocationId, body.eipAddress]);
  });
});

describe('DescribeNetworkInterfaces, seeded world of 23 ENIs', () => {
  let sim;
  let ecs;
  let dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aliyunsim-seed-'));
    const enis = Array.from({ length: 23 }, (_, i) => ({
      networkInterfaceId: `eni-seeded${String(i).padStart(3, '0')}`,
      primaryIp: `10.7.${i}.1`,
      secondaryIps: [`10.7.${i}.2`],
      type: i === 0 ? 'Primary' : 'Secondary',
    }));
    const seed = path.join(dir, 'seed.json');
    fs.writeFileSync(seed, JSON.stringify({ region: 'cn-shanghai', accessKeyId: 'LTAIseededseeded0000', accessKeySecret: 'seeded-secret', enis }));
    sim = await startSim(['--seed', seed]);
    ecs = ecsClient(sim);
  });
  after(async () => { await sim.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('the ready line echoes the seed', () => {
    assert.deepEqual([sim.world.region, sim.world.accessKeyId, sim.world.enis.length], ['cn-shanghai', 'LTAIseededseeded0000', 23]);
  });

  it('pages with MaxResults/NextToken (MaxResults below 10 means 10)', async () => {
    const seen = [];
    let nextToken;
    let pages = 0;
    do {
      const { body } = await ecs.describeNetworkInterfaces(new Ecs.DescribeNetworkInterfacesRequest({ regionId: 'cn-shanghai', maxResults: 3, nextToken }));
      seen.push(...body.networkInterfaceSets.networkInterfaceSet.map((s) => s.networkInterfaceId));
      nextToken = body.nextToken || undefined;
      pages++;
    } while (nextToken);
    assert.equal(pages, 3);
    assert.deepEqual(seen, sim.world.enis.map((e) => e.networkInterfaceId));
  });

  it('a region the world is not in is InvalidRegionId.NotFound', async () => {
    await assert.rejects(ecs.describeNetworkInterfaces(new Ecs.DescribeNetworkInterfacesRequest({ regionId: 'cn-beijing' })),
      (e) => e.code === 'InvalidRegionId.NotFound' && e.statusCode === 404);
  });
});
