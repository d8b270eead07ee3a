package controlplane

import (
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/command"
)

// gone reports a process that no longer runs: absent, or a zombie nobody
// has reaped yet (this container's init may not).
func gone(pid int) bool {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	return err != nil || regexp.MustCompile(`(?m)^State:\s+Z`).Match(status)
}

var (
	istiodPid = regexp.MustCompile(`istiod: pid (\d+),`)
	holding   = regexp.MustCompile(`control-plane tier: up, holding until a signal; listening on (.*)\n`)
)

// heldChild runs this test binary again, held once its API server and istiod
// are up, and returns it with its output and the addresses they listen on.
func heldChild(t *testing.T) (*exec.Cmd, *command.SyncBuffer, []string) {
	t.Helper()
	need(t) // the child needs what the parent needs
	out := &command.SyncBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ARTIFACTS="+t.TempDir(), holdAfterBringUp+"=1")
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	require.Eventually(t, func() bool { return holding.MatchString(out.String()) },
		2*time.Minute, 50*time.Millisecond, "the child's istiod never came up:\n%s", out.String())
	return cmd, out, strings.Fields(holding.FindStringSubmatch(out.String())[1])
}

// TestInterruptStopsIstiod: Ctrl-C (SIGINT) must stop the child's istiod
// before the child exits.
func TestInterruptStopsIstiod(t *testing.T) {
	t.Parallel()
	cmd, out, _ := heldChild(t)
	m := istiodPid.FindStringSubmatch(out.String())
	require.NotNil(t, m)
	pid, _ := strconv.Atoi(m[1])
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	_ = cmd.Wait()

	assert.Contains(t, out.String(), "control-plane tier: interrupted; stopping istiod and the API server")
	assert.Eventually(t, func() bool { return gone(pid) }, 10*time.Second, 50*time.Millisecond, "istiod (pid %d) is gone", pid)
	if t.Failed() {
		t.Log(strings.TrimSpace(out.String()))
	}
}

// TestKilledParentLeavesNothingRunning: SIGKILL gives the child no chance to
// clean up; its kube-apiserver, etcd and istiod must still die with it (a
// parent-death signal each) and free their ports.
func TestKilledParentLeavesNothingRunning(t *testing.T) {
	t.Parallel()
	cmd, out, addrs := heldChild(t)
	kids := children(t, cmd.Process.Pid)
	require.ElementsMatch(t, []string{"kube-apiserver", "etcd", "pilot-discovery"}, slices.Collect(maps.Values(kids)), "the child's processes")
	t.Cleanup(func() { // a failing run must not leave what it reports behind
		for pid := range kids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	require.Len(t, addrs, 7, "API server, etcd and istiod's five ports")
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	for pid, name := range kids {
		assert.Eventually(t, func() bool { return gone(pid) }, 10*time.Second, 50*time.Millisecond, "%s (pid %d) outlived its parent", name, pid)
	}
	for _, addr := range addrs {
		assert.Eventually(t, func() bool { return free(addr) }, 10*time.Second, 50*time.Millisecond, "%s is still taken", addr)
	}
	if t.Failed() {
		t.Log(strings.TrimSpace(out.String()))
	}
}

// children are the live processes whose parent is pid, by name.
func children(t *testing.T, pid int) map[int]string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	require.NoError(t, err)
	kids := map[int]string{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		child, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if !gone(child) {
			kids[child] = s[strings.IndexByte(s, '(')+1 : strings.LastIndexByte(s, ')')]
		}
	}
	return kids
}

// free reports an address nothing listens on any more.
func free(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
