package controlplane

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
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

var istiodPid = regexp.MustCompile(`istiod: pid (\d+),`)

// TestInterruptStopsIstiod runs this test binary again, held once its istiod
// is up; Ctrl-C (SIGINT) must then stop that istiod before the child exits.
func TestInterruptStopsIstiod(t *testing.T) {
	need(t) // the child needs what the parent needs
	var out command.SyncBuffer
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ARTIFACTS="+t.TempDir(), holdAfterBringUp+"=1")
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill() }()

	require.Eventually(t, func() bool { return strings.Contains(out.String(), "control-plane tier: up, holding") },
		2*time.Minute, 100*time.Millisecond, "the child's istiod never came up:\n%s", out.String())
	m := istiodPid.FindStringSubmatch(out.String())
	require.NotNil(t, m)
	pid, _ := strconv.Atoi(m[1])
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	_ = cmd.Wait()

	assert.Contains(t, out.String(), "control-plane tier: interrupted; stopping istiod and the API server")
	assert.Eventually(t, func() bool { return gone(pid) }, 10*time.Second, 100*time.Millisecond, "istiod (pid %d) is gone", pid)
	if t.Failed() {
		t.Log(strings.TrimSpace(out.String()))
	}
}
