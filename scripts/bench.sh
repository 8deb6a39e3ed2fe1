#!/usr/bin/env bash
# Start-up benchmark of the hot path, and of an ADD with an EIP. Usage: scripts/bench.sh [runs]   (EIP_RUNS=10)
#  1. Wall time of a pass-through ADD (feature on, pod not asking: what every pod without an EIP pays), against an
#     empty NativeAOT program that copies stdin to stdout (tests/Bench/EmptyAot, published exactly like eip-cni),
#     Debian's Go portmap, and /bin/true (the exec floor). Rounds run every command once in a shuffled order, so
#     machine noise hits all alike. Target: eip-cni <= 1.15x the empty program above the floor.
#  2. The same as user-space instruction counts (valgrind): deterministic, what the code itself costs.
#  3. Where eip-cni's instructions go (callgrind on a copy with symbols): loader, runtime, each step of the call.
#  4. ADD with an EIP against the simulators: time from exec to the first cloud request (target <= 40 ms), and from
#     the association turning InUse to ADD's exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_packages
[ -x out/eip-cni ] && [ -x out/eip-cni-agent ] || scripts/build.sh

runs=${1:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "==> publishing the yardstick (tests/Bench/EmptyAot) and a copy of eip-cni with symbols for the breakdown"
dotnet publish tests/Bench/EmptyAot -c Release -o out/bench -nologo -v quiet | { grep -v "^\s*$" || true; }
rm -f out/bench/*.dbg # valgrind gives up on a binary with its split debug file next to it
dotnet publish src/EipCni -c Release -o "$work/sym" -p:StripSymbols=false -p:IntermediateOutputPath="$work/obj/" -nologo -v quiet | { grep -v "^\s*$" || true; }
strip --strip-debug -o "$work/eip-cni-sym" "$work/sym/eip-cni" # valgrind reads the symbol table, not clang's DWARF 5

prev='{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"00:16:3e:0a:0b:0c","sandbox":"/var/run/netns/bench"}],"ips":[{"interface":0,"address":"10.250.0.9/24","gateway":"10.250.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}'
cat > "$work/add.json" <<JSON
{"cniVersion":"1.0.0","name":"terway","type":"eip-cni","clusterId":"c1234","eniConfPath":"$work/eni.json","stateDir":"$work/state","logFile":"$work/eip-cni.log","capabilities":{"io.kubernetes.cri.pod-annotations":true,"portMappings":true},"runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"app":"web"}},"prevResult":$prev}
JSON
echo '{"enable_eip_pool":"true"}' > "$work/eni.json"
export CNI_COMMAND=ADD CNI_CONTAINERID=bench CNI_NETNS=/var/run/netns/bench CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni
export CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"
bins=("eip-cni=$PWD/out/eip-cni" "empty-aot=$PWD/out/bench/empty-aot" "portmap=/usr/lib/cni/portmap" "floor=/bin/true")

echo "==> 1. wall time, pass-through ADD, $runs interleaved rounds"
node tests/Bench/bench.mjs interleave "$runs" "$work/add.json" "${bins[@]}"

echo "==> 2. user-space instructions (valgrind), pass-through ADD"
declare -A ir
for b in "${bins[@]}"; do
  name=${b%%=*}; bin=${b#*=}
  ir[$name]=$(valgrind --tool=lackey --basic-counts=yes "$bin" < "$work/add.json" 2>&1 >/dev/null | awk '/guest instrs:/ {gsub(",","",$NF); print $NF; exit}')
  printf "  %-22s %10d instructions\n" "$name" "${ir[$name]}"
done
awk -v e="${ir[eip-cni]}" -v z="${ir[empty-aot]}" -v f="${ir[floor]}" -v p="${ir[portmap]}" \
  'BEGIN { printf "  ratio above the floor: eip-cni / empty-aot = %.2fx, eip-cni / portmap = %.2fx\n", (e-f)/(z-f), (e-f)/(p-f) }'

echo "==> 3. where eip-cni's instructions go (callgrind, inclusive)"
valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$work/eip-cni-sym" < "$work/add.json" >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$work/cg" 2>/dev/null > "$work/cg.txt"
total=$(awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1; exit}' "$work/cg.txt")
stage() { # label, symbol pattern
  local n; n=$(grep -E "$2" "$work/cg.txt" | head -1 | awk '{gsub(",","",$1); print $1}' || true)
  # A step the compiler inlined into its caller has no symbol of its own: say so rather than print a zero.
  if [ -z "$n" ]; then printf "  %-44s %9s\n" "$1" "(inlined)"; return; fi
  printf "  %-44s %9d  %5.1f%%\n" "$1" "$n" "$(awk -v a="$n" -v t="$total" 'BEGIN { print 100*a/t }')"
}
printf "  %-44s %9d\n" "total" "$total"
stage "dynamic loader (relocations, libc)" "rtld.c:_dl_start "
stage "runtime start (GC, threads, config)" "\?\?\?:RhInitialize "
stage "  static data of every type" "StartupCodeHelpers__InitializeStatics "
stage "Main" "\?\?\?:__managed__Main "
stage "  CNI_* environment" "CniSkel__ReadEnvironment "
stage "  stdin" "StdinReader__ReadAll "
stage "  JSON parse" "CniSkel__ParseJson "
stage "  netconf" "NetConf__Parse "
stage "  prevResult check" "CniSkel__RequirePrevResult "
stage "  eni_conf and annotations (EIP verbs)" "EipPlugin__Add "
stage "  ADD result" "CniSkel__WriteAddResult "
stage "  log line" "CniSkel__LogOutcome "

echo "==> size and peak RSS"
for b in "${bins[@]}"; do
  name=${b%%=*}; bin=${b#*=}
  rss=$(/usr/bin/time -v "$bin" < "$work/add.json" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
  printf "  %-22s %8d bytes   peak RSS %6d KB\n" "$name" "$(stat -c %s "$bin")" "$rss"
done

# ---------------------------------------------------------------------------------------------------------------
latency=20; assoc=1000; eipruns=${EIP_RUNS:-10}
echo "==> 4. ADD with an EIP against the simulated cloud (${latency} ms per call, ${assoc} ms association), $eipruns runs"
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
uid=0b6f1c9e-4d2a-4c1e-9a55-3c2d1e0f4a7b
curl -sk -X POST "$kube_url/_sim/pods" -H 'content-type: application/json' \
  -d "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\",\"name\":\"bench-0\",\"uid\":\"$uid\"},\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}}" >/dev/null
echo "{\"enable_eip_pool\":\"true\",\"access_key\":\"$ak\",\"access_secret\":\"$sk\",\"region_id\":\"cn-hangzhou\"}" > "$work/eni-eip.json"
cat > "$work/eip-add.json" <<JSON
{"cniVersion":"1.0.0","name":"terway","type":"eip-cni","clusterId":"c-bench","nodeName":"node-1","eniConfPath":"$work/eni-eip.json","stateDir":"$work/state-eip",
 "logFile":"$work/eip-cni-eip.log","kubeconfig":"$kubeconfig","endpoints":{"vpc":"$cloud_url","ecs":"$cloud_url","sts":"$cloud_url","metadata":"$cloud_url"},
 "runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"network.alibabacloud.com/pod-with-eip":"true"}},
 "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"ips":[{"interface":0,"address":"$ip/24"}]}}
JSON
export CNI_CONTAINERID=bench-eip CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench-0;K8S_POD_UID=$uid"
node tests/Bench/bench.mjs eip "$eipruns" "$cloud_url" "$PWD/out/eip-cni" "$work/eip-add.json" "$assoc"
CNI_COMMAND=DEL out/eip-cni < "$work/eip-add.json" >/dev/null
left=$(curl -s "$cloud_url/_sim/eips" | node -e 'const d=JSON.parse(require("fs").readFileSync(0));console.log(d.eips.filter(e=>e.allocatedBy=="api"&&e.status!="Releasing").length)')
echo "  EIPs left allocated after the bench: $left"
