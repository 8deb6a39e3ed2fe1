// Helpers of scripts/bench.sh (Node, no packages).
//   node bench.mjs interleave RUNS STDIN_FILE name=command ...   wall time of each command, rounds in shuffled order
//   node bench.mjs eip RUNS CLOUD_URL PLUGIN CONF ASSOCIATE_MS   ADD with an EIP: time to the first cloud request, etc.
import { spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";

const [mode, ...rest] = process.argv.slice(2);
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const now = () => performance.timeOrigin + performance.now(); // Unix ms, sub-millisecond

// stdin is the file itself (as `< file`), so a program that never reads it is timed like one that does.
function run(command, stdinFile, env) {
  const [file, ...args] = command.split(" ");
  const fd = openSync(stdinFile, "r");
  const t0 = now();
  const r = spawnSync(file, args, { env: { ...process.env, ...env }, stdio: [fd, "pipe", "pipe"] });
  const t1 = now();
  closeSync(fd);
  if (r.error) throw r.error;
  return { t0, t1, ms: t1 - t0, status: r.status, stdout: r.stdout.toString() };
}

if (mode === "interleave") {
  // Every round runs each command once, in a new random order: machine noise (other load, frequency changes) hits
  // every command alike, which timing one command's runs after another's does not.
  const [runs, stdinFile, ...specs] = rest;
  const input = stdinFile;
  const cmds = specs.map(s => { const i = s.indexOf("="); return { name: s.slice(0, i), command: s.slice(i + 1), ms: [] }; });
  for (let w = 0; w < 10; w++) for (const c of cmds) run(c.command, input, {});
  for (let r = 0; r < Number(runs); r++) {
    const order = [...cmds].sort(() => Math.random() - 0.5);
    for (const c of order) c.ms.push(run(c.command, input, {}).ms);
  }
  const floor = median(cmds.find(c => c.name === "floor").ms);
  for (const c of cmds)
    console.log(`  ${c.name.padEnd(22)} median ${median(c.ms).toFixed(2).padStart(6)} ms   above the exec floor ${(median(c.ms) - floor).toFixed(2).padStart(6)} ms`);
  const above = name => median(cmds.find(c => c.name === name).ms) - floor;
  for (const [a, b] of [["eip-cni", "empty-aot"], ["eip-cni", "portmap"]])
    if (cmds.some(c => c.name === a) && cmds.some(c => c.name === b))
      console.log(`  ratio above the floor: ${a} / ${b} = ${(above(a) / above(b)).toFixed(2)}x`);
} else if (mode === "eip") {
  const [runs, cloud, plugin, conf, associateMs] = rest;
  const input = conf;
  const requests = async since => (await (await fetch(`${cloud}/_sim/requests?since=${since}`)).json()).requests;
  const rows = [];
  let seq = 0;
  for (let r = 0; r < Number(runs) + 1; r++) {
    run(plugin, input, { CNI_COMMAND: "DEL" });
    const before = await requests(seq);
    seq = before.length ? before[before.length - 1].seq : seq;
    const add = run(plugin, input, { CNI_COMMAND: "ADD" });
    if (add.status !== 0) { console.log(`  ADD failed: ${add.stdout}`); process.exit(1); }
    const seen = await requests(seq);
    seq = seen.length ? seen[seen.length - 1].seq : seq;
    const first = seen[0], allocate = seen.find(q => q.action === "AllocateEipAddress"), associate = seen.find(q => q.action === "AssociateEipAddress");
    if (r === 0) continue; // warm-up: page cache, ENI cache
    rows.push({
      total: add.ms,
      first: first.receivedAtMs - add.t0,
      firstAction: first.action,
      allocate: allocate.receivedAtMs - add.t0,
      // The simulator turns the EIP InUse associateMs after it answered AssociateEipAddress.
      tail: add.t1 - (associate.receivedAtMs + associate.ms + Number(associateMs)),
    });
  }
  const m = k => median(rows.map(x => x[k])).toFixed(1);
  console.log(`  ADD with an EIP: median ${m("total")} ms over ${rows.length} runs`);
  console.log(`  exec to the first cloud request (${rows[0].firstAction}): median ${m("first")} ms; to AllocateEipAddress: ${m("allocate")} ms   (target <= 40 ms)`);
  console.log(`  association InUse to ADD's exit: median ${m("tail")} ms   (target <= one poll interval + the write-back)`);
} else {
  console.error("usage: bench.mjs interleave|eip ...");
  process.exit(2);
}
