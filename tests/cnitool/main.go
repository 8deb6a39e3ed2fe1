// cnitool-like driver over libcni (Debian's golang-github-appc-cni-dev), used by the end-to-end tests and the demo.
// It calls plugins exactly the way containerd does (libcni: result cache, prevResult injection, capability args).
//
// Usage: cnitool add|check|del|gc|status|version <network-name> [netns]
//        cnitool default    (prints the network containerd's CRI would load from NETCONFPATH, as JSON)
// Env: NETCONFPATH (conflist dir), CNI_PATH, CNI_IFNAME (default eth0), CNI_CONTAINERID (default derived from the
// netns path, like cnitool), CNI_ARGS, CAP_ARGS (JSON capability args, e.g. pod annotations), CNI_CACHE_DIR,
// VALID_ATTACHMENTS (gc: JSON [{"containerID","ifname"}]; unset = no list, like `cnitool gc`),
// CNI_PLUGIN_TIMEOUT_MS (the deadline of the whole call, default 4 minutes: at the deadline Go's exec SIGKILLs the
// plugin process that is running, exactly as containerd does), CNITOOL_JSON_ERRORS=1 (on failure, also print ONE JSON
// line on stdout describing the error; stderr keeps its usual text).
//
// libcni 1.1.2 predates CNI 1.1's GC and STATUS, so this driver does them the way libcni 1.2 does: gc first DELs
// every cached attachment of the network not in the valid list, then sends GC (with both cni.dev/valid-attachments
// and cni.dev/attachments) to every plugin of the list that supports 1.1.0; status sends STATUS likewise.
package main

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "default" {
		printDefault(envOr("NETCONFPATH", "/etc/cni/net.d"))
		return
	}
	if len(os.Args) < 3 {
		fail("usage: cnitool add|check|del|gc|status|version <network-name> [netns] | cnitool default")
	}
	cmd, netName := os.Args[1], os.Args[2]
	netns := ""
	if len(os.Args) > 3 {
		netns = os.Args[3]
	}
	confDir := envOr("NETCONFPATH", "/etc/cni/net.d")
	list, err := libcni.LoadConfList(confDir, netName)
	if err != nil {
		fail("loading conflist %s from %s: %v", netName, confDir, err)
	}
	paths := filepath.SplitList(os.Getenv("CNI_PATH"))
	cacheDir := envOr("CNI_CACHE_DIR", "/var/lib/cni")
	cninet := libcni.NewCNIConfigWithCacheDir(paths, cacheDir, nil)

	rt := &libcni.RuntimeConf{
		ContainerID: containerID(netns),
		NetNS:       netns,
		IfName:      envOr("CNI_IFNAME", "eth0"),
	}
	if args := os.Getenv("CNI_ARGS"); args != "" {
		for _, pair := range strings.Split(args, ";") {
			kv := strings.SplitN(pair, "=", 2)
			if len(kv) == 2 {
				rt.Args = append(rt.Args, [2]string{kv[0], kv[1]})
			}
		}
	}
	if capArgs := os.Getenv("CAP_ARGS"); capArgs != "" {
		if err := json.Unmarshal([]byte(capArgs), &rt.CapabilityArgs); err != nil {
			fail("CAP_ARGS: %v", err)
		}
	}
	timeout := 4 * time.Minute // kubelet gives RunPodSandbox twice its 2-minute runtime-request-timeout
	if ms := os.Getenv("CNI_PLUGIN_TIMEOUT_MS"); ms != "" {
		n, err := strconv.Atoi(ms)
		if err != nil || n <= 0 {
			fail("CNI_PLUGIN_TIMEOUT_MS: %q is not a positive number of milliseconds", ms)
		}
		timeout = time.Duration(n) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	switch cmd {
	case "add":
		result, err := cninet.AddNetworkList(ctx, list, rt)
		if err != nil {
			failCall(ctx, "add", err)
		}
		_ = result.Print()
	case "check":
		if err := cninet.CheckNetworkList(ctx, list, rt); err != nil {
			failCall(ctx, "check", err)
		}
	case "del":
		if err := cninet.DelNetworkList(ctx, list, rt); err != nil {
			failCall(ctx, "del", err)
		}
	case "gc":
		gc(ctx, cninet, list, cacheDir, paths)
	case "status":
		forEach11(ctx, list, paths, "STATUS", nil)
	case "version":
		for _, p := range list.Plugins {
			info, err := cninet.GetVersionInfo(ctx, p.Network.Type)
			if err != nil {
				fail("version %s: %v", p.Network.Type, err)
			}
			fmt.Printf("%s: %s\n", p.Network.Type, strings.Join(info.SupportedVersions(), ","))
		}
	default:
		fail("unknown command %q", cmd)
	}
}

type attachment struct {
	ContainerID string `json:"containerID"`
	IfName      string `json:"ifname"`
}

type cached struct {
	ContainerID string                 `json:"containerId"`
	IfName      string                 `json:"ifName"`
	NetworkName string                 `json:"networkName"`
	NetNS       string                 `json:"netns"`
	CniArgs     [][2]string            `json:"cniArgs"`
	CapArgs     map[string]interface{} `json:"capabilityArgs"`
}

func gc(ctx context.Context, cninet *libcni.CNIConfig, list *libcni.NetworkConfigList, cacheDir string, paths []string) {
	var valid []attachment
	raw, haveList := os.LookupEnv("VALID_ATTACHMENTS")
	if haveList {
		if err := json.Unmarshal([]byte(raw), &valid); err != nil {
			fail("VALID_ATTACHMENTS: %v", err)
		}
	}
	keep := map[string]bool{}
	for _, a := range valid {
		keep[a.ContainerID+"/"+a.IfName] = true
	}
	files, _ := filepath.Glob(filepath.Join(cacheDir, "results", list.Name+"-*"))
	var errs []string
	for _, f := range files {
		data, err := ioutil.ReadFile(f)
		if err != nil {
			continue
		}
		var c cached
		if json.Unmarshal(data, &c) != nil || c.NetworkName != list.Name || keep[c.ContainerID+"/"+c.IfName] {
			continue
		}
		rt := &libcni.RuntimeConf{ContainerID: c.ContainerID, IfName: c.IfName, Args: c.CniArgs, CapabilityArgs: c.CapArgs}
		if err := cninet.DelNetworkList(ctx, list, rt); err != nil {
			errs = append(errs, fmt.Sprintf("del %s/%s: %v", c.ContainerID, c.IfName, err))
		}
	}
	var extra map[string]interface{}
	if haveList {
		if valid == nil {
			valid = []attachment{}
		}
		extra = map[string]interface{}{"cni.dev/valid-attachments": valid, "cni.dev/attachments": valid}
	}
	if err := forEach11Err(ctx, list, paths, "GC", extra); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		failCall(ctx, "gc", errors.New(strings.Join(errs, "; ")))
	}
}

func forEach11(ctx context.Context, list *libcni.NetworkConfigList, paths []string, verb string, extra map[string]interface{}) {
	if err := forEach11Err(ctx, list, paths, verb, extra); err != nil {
		failCall(ctx, strings.ToLower(verb), err)
	}
}

// forEach11Err sends a CNI 1.1 verb to each plugin that advertises 1.1.0, with name and cniVersion injected.
func forEach11Err(ctx context.Context, list *libcni.NetworkConfigList, paths []string, verb string, extra map[string]interface{}) error {
	exec := &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}}
	var errs []string
	for _, p := range list.Plugins {
		path, err := exec.FindInPath(p.Network.Type, paths)
		if err != nil {
			return err
		}
		info, err := invoke.GetVersionInfo(ctx, path, exec)
		if err != nil || !supports(info.SupportedVersions(), "1.1.0") {
			continue
		}
		var conf map[string]interface{}
		if err := json.Unmarshal(p.Bytes, &conf); err != nil {
			return err
		}
		conf["name"] = list.Name
		conf["cniVersion"] = "1.1.0"
		for k, v := range extra {
			conf[k] = v
		}
		stdin, _ := json.Marshal(conf)
		args := &invoke.Args{Command: verb, Path: strings.Join(paths, ":")}
		if err := invoke.ExecPluginWithoutResult(ctx, path, stdin, args, exec); err != nil {
			if verb == "STATUS" {
				return err // STATUS stops at the first failure, as libcni does
			}
			errs = append(errs, fmt.Sprintf("%s: %v", p.Network.Type, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func supports(versions []string, want string) bool {
	for _, v := range versions {
		if v == want {
			return true
		}
	}
	return false
}

func containerID(netns string) string {
	if id := os.Getenv("CNI_CONTAINERID"); id != "" {
		return id
	}
	abs, _ := filepath.Abs(netns)
	sum := sha512.Sum512([]byte(abs))
	return fmt.Sprintf("cnitool-%x", sum[:10])
}

// printDefault loads the conf dir the way containerd's CRI does (go-cni loadFromConfDir with max_conf_num 1, over
// libcni): the files with extension .conf, .conflist or .json, sorted with sort.Strings, the first one only; a
// .conflist is read as a list, anything else as one plugin that must have a type, turned into a list.
func printDefault(dir string) {
	files, err := libcni.ConfFiles(dir, []string{".conf", ".conflist", ".json"})
	if err != nil {
		fail("failed to read config file: %v", err)
	}
	if len(files) == 0 {
		fail("no network config found in %s", dir)
	}
	sort.Strings(files)
	file := files[0]
	var list *libcni.NetworkConfigList
	if strings.HasSuffix(file, ".conflist") {
		if list, err = libcni.ConfListFromFile(file); err != nil {
			fail("failed to load CNI config list file %s: %v", file, err)
		}
	} else {
		conf, err := libcni.ConfFromFile(file)
		if err != nil {
			fail("failed to load CNI config file %s: %v", file, err)
		}
		if conf.Network.Type == "" {
			fail("network type not found in %s", file)
		}
		if list, err = libcni.ConfListFromConf(conf); err != nil {
			fail("failed to convert CNI config file %s to a list: %v", file, err)
		}
	}
	if len(list.Plugins) == 0 {
		fail("CNI config list in config file %s has no networks", file)
	}
	var plugins []json.RawMessage
	for _, p := range list.Plugins {
		plugins = append(plugins, p.Bytes)
	}
	out, _ := json.Marshal(map[string]interface{}{"file": file, "name": list.Name, "cniVersion": list.CNIVersion, "plugins": plugins})
	fmt.Println(string(out))
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

var failedPlugin = regexp.MustCompile(`plugin type="([^"]+)"`)

// failCall ends a failed verb. With CNITOOL_JSON_ERRORS=1 it first prints one JSON line on stdout:
// {"cniError":{"code","msg","details"}} when the error is a CNI error (libcni 1.1 also turns a plugin that printed
// garbage or nothing into one, with code 0), else {"otherError":"..."}; plus "plugin" (the type of the plugin that
// failed, when libcni names it), "text" (the whole error), "deadlineExceeded" (the call's deadline had passed) and
// "killedByRuntime": the deadline passed and the plugin ended without an answer, i.e. Go's exec SIGKILLed it (libcni
// reports "netplugin failed with no error message: signal: killed", or "netplugin failed: <stderr>" when it had
// written to stderr) or did not start it ("context deadline exceeded") — not a plugin crash.
func failCall(ctx context.Context, verb string, err error) {
	if os.Getenv("CNITOOL_JSON_ERRORS") == "1" {
		line := map[string]interface{}{"text": err.Error(), "deadlineExceeded": ctx.Err() == context.DeadlineExceeded}
		if m := failedPlugin.FindStringSubmatch(err.Error()); m != nil {
			line["plugin"] = m[1]
		}
		killed := false
		var cniErr *types.Error
		if errors.As(err, &cniErr) {
			line["cniError"] = map[string]interface{}{"code": cniErr.Code, "msg": cniErr.Msg, "details": cniErr.Details}
			killed = ctx.Err() == context.DeadlineExceeded && cniErr.Code == 0 &&
				(strings.Contains(cniErr.Msg, "signal: killed") || strings.Contains(cniErr.Msg, "context deadline exceeded") ||
					strings.HasPrefix(cniErr.Msg, "netplugin failed: ")) // nothing on stdout, only stderr
		} else {
			line["otherError"] = err.Error()
			killed = ctx.Err() == context.DeadlineExceeded && strings.Contains(err.Error(), "context deadline exceeded")
		}
		line["killedByRuntime"] = killed
		out, _ := json.Marshal(line)
		fmt.Println(string(out))
	}
	fail("%s: %v", verb, err)
}

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "cnitool: "+format+"\n", a...)
	os.Exit(1)
}
