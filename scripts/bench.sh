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
