#!/usr/bin/env bash
# Start-up benchmark of the hot path: eip-cni against Debian's Go `portmap` on the same input, in the same run.
# Prints medians, the ratio, binary size and peak RSS. Usage: scripts/bench.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_packages
[ -x out/eip-cni ] || scripts/build.sh

runs=${1:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prev='{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"00:16:3e:0a:0b:0c","sandbox":"/var/run/netns/bench"}],"ips":[{"interface":0,"address":"10.250.0.9/24","gateway":"10.250.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}'
cat > "$work/eip.json" <<JSON
{"cniVersion":"1.0.0","name":"terway","type":"eip-cni","clusterId":"c1234","eniConfPath":"$work/eni.json","stateDir":"$work/state","logFile":"$work/eip-cni.log","capabilities":{"io.kubernetes.cri.pod-annotations":true},"runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"app":"web"}},"prevResult":$prev}
JSON
cat > "$work/portmap.json" <<JSON
{"cniVersion":"1.0.0","name":"terway","type":"portmap","capabilities":{"portMappings":true},"prevResult":$prev}
JSON
echo '{"enable_eip_pool":"true"}' > "$work/eni.json"
echo '{"cniVersion":"1.0.0"}' > "$work/version.json"
export CNI_CONTAINERID=bench CNI_NETNS=/var/run/netns/bench CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni
export CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"

# hyperfine 1.15 has no --input: both binaries get the same /bin/sh wrapper, so the wrapper cost cancels out.
wrap() { echo "sh -c 'exec $1 < $2 > /dev/null'"; }
echo "==> hyperfine: $runs runs each (feature on, pod not asking: the path every pod without an EIP takes)"
CNI_COMMAND=VERSION hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/version.hf.json" \
  -n "eip-cni VERSION" "$(wrap "$PWD/out/eip-cni" "$work/version.json")" \
  -n "portmap VERSION" "$(wrap /usr/lib/cni/portmap "$work/version.json")" >/dev/null
CNI_COMMAND=ADD hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/add.hf.json" \
  -n "eip-cni ADD pass-through" "$(wrap "$PWD/out/eip-cni" "$work/eip.json")" \
  -n "portmap ADD pass-through" "$(wrap /usr/lib/cni/portmap "$work/portmap.json")" \
  -n "/bin/true (wrapper floor)" "$(wrap /bin/true "$work/portmap.json")" >/dev/null

node -e '
const fs = require("fs");
for (const f of process.argv.slice(1)) {
  const r = JSON.parse(fs.readFileSync(f)).results;
  for (const x of r) console.log(`  ${x.command.padEnd(28)} median ${(x.median*1000).toFixed(2).padStart(6)} ms   mean ${(x.mean*1000).toFixed(2)} ± ${(x.stddev*1000).toFixed(2)} ms`);
  console.log(`  ratio ${r[0].command} / ${r[1].command}: ${(r[0].median / r[1].median).toFixed(2)}x` +
    (r[2] ? `   (above the wrapper floor: ${((r[0].median - r[2].median) / (r[1].median - r[2].median)).toFixed(2)}x)` : ""));
}' "$work/version.hf.json" "$work/add.hf.json"

echo "==> size"
awk -v a="$(stat -c %s out/eip-cni)" -v b="$(stat -c %s /usr/lib/cni/portmap)" 'BEGIN { printf "  eip-cni %d bytes (%.1f MB), portmap %d bytes (%.1f MB)\n", a, a/1048576, b, b/1048576 }'
echo "==> peak RSS (/usr/bin/time -v)"
for b in "$PWD/out/eip-cni:$work/eip.json" "/usr/lib/cni/portmap:$work/portmap.json"; do
  bin=${b%%:*}; in=${b#*:}
  rss=$(CNI_COMMAND=ADD /usr/bin/time -v "$bin" < "$in" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
  echo "  $(basename "$bin") ADD: ${rss} KB"
done

# ---------------------------------------------------------------------------------------------------------------
# ADD with an EIP against the simulators: 20 ms per cloud call, 1 s association. The floor is what the cloud alone
# costs: Allocate + Associate + the association itself + one Describe. Target: <= 1.1 x floor + 30 ms.
latency=20; assoc=1000; eipruns=${EIP_RUNS:-10}
echo "==> ADD with an EIP against the simulated cloud (${latency} ms per call, ${assoc} ms association), $eipruns runs"
scripts/aliyun-sim.sh --listen 127.0.0.1:0 --latency-ms $latency --associate-ms $assoc --unassociate-ms 300 --release-ms 100 --throttle off \
  > "$work/cloud.ready" 2> "$work/cloud.log" &
cloud_pid=$!
scripts/kube-sim.sh --listen 127.0.0.1:0 --dir "$work/kube" > "$work/kube.ready" 2> "$work/kube.log" &
kube_pid=$!
trap 'kill $cloud_pid $kube_pid 2>/dev/null; rm -rf "$work"' EXIT
for f in cloud kube; do for _ in $(seq 100); do [ -s "$work/$f.ready" ] && break; sleep 0.2; done; done
read -r cloud_url ak sk ip <<<"$(node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
console.log(r.url, r.accessKeyId, r.accessKeySecret, r.enis[0].secondaryIps[4]);' "$work/cloud.ready")"
read -r kube_url kubeconfig <<<"$(node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(r.url, r.kubeconfig);' "$work/kube.ready")"
curl -sk -X POST "$kube_url/_sim/pods" -H 'content-type: application/json' \
  -d '{"apiVersion":"v1","kind":"Pod","metadata":{"namespace":"default","name":"bench-0","uid":"uid-bench-0"},"spec":{"containers":[{"name":"app","image":"nginx"}]}}' >/dev/null
echo "{\"enable_eip_pool\":\"true\",\"access_key\":\"$ak\",\"access_secret\":\"$sk\",\"region_id\":\"cn-hangzhou\"}" > "$work/eni-eip.json"
cat > "$work/eip-add.json" <<JSON
{"cniVersion":"1.0.0","name":"terway","type":"eip-cni","clusterId":"c-bench","eniConfPath":"$work/eni-eip.json","stateDir":"$work/state-eip",
 "logFile":"$work/eip-cni-eip.log","kubeconfig":"$kubeconfig","endpoints":{"vpc":"$cloud_url","ecs":"$cloud_url","sts":"$cloud_url","metadata":"$cloud_url"},
 "runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"network.alibabacloud.com/pod-with-eip":"true"}},
 "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"ips":[{"interface":0,"address":"$ip/24"}]}}
JSON
export CNI_CONTAINERID=bench-eip CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench-0;K8S_POD_UID=uid-bench-0"
# Each timed ADD starts from a released EIP: --prepare runs DEL (untimed) before every run.
hyperfine -N --warmup 1 --runs "$eipruns" --show-output --export-json "$work/eip.hf.json" \
  --prepare "sh -c 'CNI_COMMAND=DEL exec $PWD/out/eip-cni < $work/eip-add.json > /dev/null'" \
  -n "eip-cni ADD with EIP" "sh -c 'CNI_COMMAND=ADD exec $PWD/out/eip-cni < $work/eip-add.json > /dev/null'" >/dev/null
CNI_COMMAND=DEL out/eip-cni < "$work/eip-add.json" >/dev/null
node -e '
const fs = require("fs");
const r = JSON.parse(fs.readFileSync(process.argv[1])).results[0];
const floor = 3 * Number(process.argv[2]) + Number(process.argv[3]);
const median = r.median * 1000, target = 1.1 * floor + 30;
console.log(`  ADD with EIP median ${median.toFixed(0)} ms (min ${(r.min*1000).toFixed(0)}, max ${(r.max*1000).toFixed(0)}); floor ${floor} ms; ` +
  `ratio ${(median / floor).toFixed(3)}x; target ${target.toFixed(0)} ms: ${median <= target ? "met" : "MISSED"}`);
' "$work/eip.hf.json" $latency $assoc
left=$(curl -s "$cloud_url/_sim/eips" | node -e 'const d=JSON.parse(require("fs").readFileSync(0));console.log(d.eips.filter(e=>e.allocatedBy=="api"&&e.status!="Releasing").length)')
echo "  EIPs left allocated after the bench: $left"
