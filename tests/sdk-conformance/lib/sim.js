'use strict';
// Starts tests/AliyunSim through scripts/aliyun-sim.sh and builds official-SDK clients pointed at it.
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const Vpc = require('@alicloud/vpc20160428');
const Ecs = require('@alicloud/ecs20140526');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const script = path.resolve(__dirname, '../../../scripts/aliyun-sim.sh');

/** Spawns the simulator, waits for its one JSON ready line and returns the world plus helpers. */
async function startSim(args = []) {
  const child = spawn(script, ['--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = [];
  child.stderr.on('data', (d) => { stderr.push(d); if (stderr.length > 200) stderr.shift(); });
  const world = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('simulator did not print its ready line in 120 s')), 120_000);
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => { clearTimeout(timer); resolve(JSON.parse(line)); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`simulator exited (${code}): ${Buffer.concat(stderr)}`)); });
  });
  const url = world.url;
  const host = new URL(url).host;
  async function call(method, p, body) {
    const res = await fetch(url + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  }
  return {
    world,
    url,
    host,
    admin: {
      get: (p) => call('GET', p),
      post: (p, body) => call('POST', p, body ?? {}),
      del: (p) => call('DELETE', p),
    },
    stderr: () => Buffer.concat(stderr).toString('utf8'),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** Official-SDK config for the sim: endpoint + plain http. signatureAlgorithm 'v2' selects the V2 RPC signature. */
function sdkConfig(sim, { signatureAlgorithm, accessKeySecret, credential } = {}) {
  const cfg = {
    endpoint: sim.host,
    protocol: 'http',
    regionId: sim.world.region,
    readTimeout: 10000,
    connectTimeout: 5000,
  };
  if (credential) cfg.credential = credential;
  else {
    cfg.accessKeyId = sim.world.accessKeyId;
    cfg.accessKeySecret = accessKeySecret ?? sim.world.accessKeySecret;
  }
  if (signatureAlgorithm) cfg.signatureAlgorithm = signatureAlgorithm;
  return new $OpenApiUtil.Config(cfg);
}

const vpcClient = (sim, opts) => new Vpc.default(sdkConfig(sim, opts));
const ecsClient = (sim, opts) => new Ecs.default(sdkConfig(sim, opts));

/** Resolves to the SDK error a call throws (fails the test if it succeeds). */
async function sdkError(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the SDK call to fail');
}

/** Polls fn until it returns a truthy value or the deadline passes. */
async function until(fn, timeoutMs = 10_000, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

module.exports = { startSim, vpcClient, ecsClient, sdkError, until, Vpc, Ecs };
