'use strict';
// @alicloud/credentials against the simulated metadata service and STS.
//
// Redirection: the library hard-codes both endpoints' transport. ECSRAMRoleCredentialsProvider calls
// http://100.100.100.200 (providers/ecs_ram_role.js: .withHost('100.100.100.200'); no option or env var changes it), and
// OIDCRoleArnCredentialsProvider takes an STS host (withStsEndpoint) but always uses https (providers/oidc_role_arn.js:
// .withProtocol('https')), while the simulator serves plain http. Both providers expose their transport as an instance
// field, `this.doRequest = http.doRequest` ("used for mock"). We wrap that field to rewrite ONLY the host (and https→http)
// of each request before handing it to the library's own http.doRequest: the token PUT, headers, paths, role discovery,
// form body, response parsing and Code/expiry checks are all the library's code.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Credential = require('@alicloud/credentials');
const http = require('@alicloud/credentials/dist/src/providers/http');
const { startSim, vpcClient, sdkError, Vpc } = require('./lib/sim');

function redirect(provider, sim) {
  provider.doRequest = (request) => {
    request.host = sim.host;
    request.protocol = 'http';
    return http.doRequest(request);
  };
  return provider;
}

describe('ECS RAM role credentials from the hardened metadata service', () => {
  let sim;
  before(async () => { sim = await startSim(['--hardened-metadata']); });
  after(() => sim.stop());

  it('IMDSv1 is refused (401); a token PUT with a TTL outside 1..21600 is 400', async () => {
    assert.equal((await fetch(`${sim.url}/latest/meta-data/instance-id`)).status, 401);
    for (const ttl of ['0', '21601', 'x']) {
      const r = await fetch(`${sim.url}/latest/api/token`, { method: 'PUT', headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': ttl } });
      assert.equal(r.status, 400, `ttl ${ttl}`);
    }
  });

  it('a token works until the sim clock passes its TTL, then 401', async () => {
    const token = await (await fetch(`${sim.url}/latest/api/token`, { method: 'PUT', headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': '60' } })).text();
    const get = (p) => fetch(`${sim.url}/latest/meta-data/${p}`, { headers: { 'X-aliyun-ecs-metadata-token': token } });
    assert.equal(await (await get('instance-id')).text(), sim.world.instanceId);
    assert.equal(await (await get(`network/interfaces/macs/${sim.world.enis[1].mac}/network-interface-id`)).text(), sim.world.enis[1].networkInterfaceId);
    assert.deepEqual(JSON.parse(await (await get(`network/interfaces/macs/${sim.world.enis[1].mac}/private-ipv4s`)).text()),
      [sim.world.enis[1].primaryIp, ...sim.world.enis[1].secondaryIps]);
    await sim.admin.post('/_sim/clock', { advanceSeconds: 61 });
    assert.equal((await get('instance-id')).status, 401);
    await sim.admin.post('/_sim/reset');
  });

  it('the official provider discovers the role, fetches STS credentials with a token, and the sim accepts them', async () => {
    const provider = redirect(Credential.ECSRAMRoleCredentialsProvider.builder().withDisableIMDSv1(true).build(), sim);
    const credential = new Credential.default(null, provider);
    const model = await credential.getCredential();
    assert.match(model.accessKeyId, /^STS\./);
    assert.ok(model.securityToken);
    const vpc = vpcClient(sim, { credential });
    await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: sim.world.region }));
    const v2 = vpcClient(sim, { credential, signatureAlgorithm: 'v2' });
    await v2.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: sim.world.region }));
    const log = (await sim.admin.get('/_sim/requests')).requests;
    assert.deepEqual(log.map((r) => [r.accessKeyId, r.httpStatus, r.signatureVersion]),
      [[model.accessKeyId, 200, 'V3'], [model.accessKeyId, 200, 'V2']]);
    assert.ok(!JSON.stringify(log).includes(model.securityToken) && !sim.stderr().includes(model.securityToken), 'the STS token leaked');
  });
});

describe('RRSA: AssumeRoleWithOIDC on the simulated STS', () => {
  let sim;
  let dir;
  let tokenFile;
  before(async () => {
    sim = await startSim();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aliyunsim-oidc-'));
    tokenFile = path.join(dir, 'token');
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    fs.writeFileSync(tokenFile, `${b64({ alg: 'RS256' })}.${b64({ sub: 'system:serviceaccount:kube-system:eip-cni', iss: 'https://oidc-ack.example', aud: ['sts.aliyuncs.com'] })}.c2ln`);
  });
  after(async () => { await sim.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  const provider = (roleArn) => redirect(Credential.OIDCRoleArnCredentialsProvider.builder()
    .withRoleArn(roleArn ?? sim.world.roleArn).withOIDCProviderArn(sim.world.oidcProviderArn).withOIDCTokenFilePath(tokenFile)
    .withRoleSessionName('eip-cni-conformance').withDurationSeconds(3600).withStsEndpoint('sts.example.invalid').build(), sim);

  it('issues credentials the sim accepts, which expire with the sim clock (InvalidSecurityToken.Expired)', async () => {
    const credential = new Credential.default(null, provider());
    const model = await credential.getCredential();
    assert.match(model.accessKeyId, /^STS\./);
    const vpc = vpcClient(sim, { credential });
    await vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: sim.world.region }));
    const sts = (await sim.admin.get('/_sim/requests')).requests.find((r) => r.action === 'AssumeRoleWithOIDC');
    assert.equal(sts.params.RoleSessionName, 'eip-cni-conformance');
    assert.ok(!('OIDCToken' in sts.params), 'the OIDC token was recorded');

    await sim.admin.post('/_sim/clock', { advanceSeconds: 3601 });
    // The library still believes its 3600 s credential is fresh (it refreshes 15 min before expiry); the sim's clock says it is expired.
    const e = await sdkError(vpc.describeEipAddresses(new Vpc.DescribeEipAddressesRequest({ regionId: sim.world.region })));
    assert.equal(e.code, 'InvalidSecurityToken.Expired');
  });

  it('a role the world does not have is refused and the library surfaces the body', async () => {
    const credential = new Credential.default(null, provider('acs:ram::1234567890:role/someone-else'));
    await assert.rejects(credential.getCredential(), /EntityNotExist\.Role/);
  });
});
