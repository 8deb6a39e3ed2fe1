# Shared by the entry-point scripts (sourced, not run).

# Installs the Debian packages the build and the tests need, only when something is missing.
ensure_packages() {
  # containerd, runc, jq, gcc and libc6-dev: the CRI tests (a private containerd, a static pause image, a recording plugin).
  local pkgs=(clang containernetworking-plugins golang-go golang-github-appc-cni-dev iproute2 hyperfine time valgrind
    containerd runc jq gcc libc6-dev)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || { echo "dotnet (the .NET 10 SDK) is required" >&2; exit 1; }
  command -v node >/dev/null || { echo "node (20+) is required for the SDK conformance tests" >&2; exit 1; }
}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
