// cnitool-like driver over libcni (Debian's golang-github-appc-cni-dev), used by the end-to-end tests and the demo.
// It calls plugins exactly the way containerd does (libcni: result cache, prevResult injection, capability args).
//
// Usage: cnitool add|check|del|gc|status|version <network-name> [netns]
// Env: NETCONFPATH (conflist dir), CNI_PATH, CNI_IFNAME (default eth0), CNI_CONTAINERID (default derived from the
// netns path, like cnitool), CNI_ARGS, CAP_ARGS (JSON capability args, e.g. pod annotations), CNI_CACHE_DIR,
// VALID_ATTACHMENTS (gc: JSON [{"containerID","ifname"}]; unset = no list, like `cnitool gc`).
//
// libcni 1.1.2 predates CNI 1.1's GC and STATUS, so this driver does them the way libcni 1.2 does: gc first DELs
// every cached attachment of the network not in the valid list, then sends GC (with both cni.dev/valid-attachments
// and cni.dev/attachments) to every plugin of the list that supports 1.1.0; status sends STATUS likewise.
package main

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: cnitool add|check|del|gc|status|version <network-name> [netns]")
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
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	switch cmd {
	case "add":
		result, err := cninet.AddNetworkList(ctx, list, rt)
		if err != nil {
			fail("add: %v", err)
		}
		_ = result.Print()
	case "check":
		if err := cninet.CheckNetworkList(ctx, list, rt); err != nil {
			fail("check: %v", err)
		}
	case "del":
		if err := cninet.DelNetworkList(ctx, list, rt); err != nil {
			fail("del: %v", err)
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
		fail("gc: %s", strings.Join(errs, "; "))
	}
}

func forEach11(ctx context.Context, list *libcni.NetworkConfigList, paths []string, verb string, extra map[string]interface{}) {
	if err := forEach11Err(ctx, list, paths, verb, extra); err != nil {
		fail("%s: %v", strings.ToLower(verb), err)
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

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "cnitool: "+format+"\n", a...)
	os.Exit(1)
}
