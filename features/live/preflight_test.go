package live

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/command"
)

// unreachable points the child runs at a cluster that cannot answer, so that
// they never reach a real one, whatever this machine has.
const unreachable = "KUBECONFIG=testdata/unreachable.kubeconfig"

// rerun runs this test binary's TestScenarios again with extra environment
// and flags.
func rerun(t *testing.T, env []string, flags ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestScenarios$", "-test.v"}, flags...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestNoClusterIsAFailure: `go test ./features/live/` with no cluster must not
// look like a pass; its one line says what is missing and how to skip.
func TestNoClusterIsAFailure(t *testing.T) {
	out, err := rerun(t, []string{unreachable, "E2E_REQUIRE_CLUSTER="})
	require.Error(t, err, out)
	assert.Contains(t, out, "live tier cannot run: the cluster in KUBECONFIG=testdata/unreachable.kubeconfig is unreachable: ")
	assert.Contains(t, out, "connection refused")
	assert.Contains(t, out, "skip it with go test -short ./... (or E2E_REQUIRE_CLUSTER=0)")
	assert.NotContains(t, out, "=== RUN", "no test runs, so none can pass")
}

// TestNoDockerNamesDocker runs the child with neither a KUBECONFIG nor a Docker
// engine, this machine's case: the line names the missing engine.
func TestNoDockerNamesDocker(t *testing.T) {
	if _, err := (command.Exec{}).Run(context.Background(), "docker", "info"); err == nil {
		t.Skip("a Docker engine answers here: the child would create a kind cluster")
	}
	out, err := rerun(t, []string{"KUBECONFIG=", "E2E_REQUIRE_CLUSTER="})
	require.Error(t, err, out)
	assert.Regexp(t, `live tier cannot run: no Docker engine for kind \(.*\) and no KUBECONFIG for an existing cluster; .*skip it with go test -short`, out)
}

func TestShortOrRequireClusterZeroSkips(t *testing.T) {
	out, err := rerun(t, []string{unreachable}, "-test.short")
	require.NoError(t, err, out)
	assert.Contains(t, out, "live tier skipped (go test -short)")
	assert.Contains(t, out, "--- SKIP: TestScenarios")

	out, err = rerun(t, []string{unreachable, "E2E_REQUIRE_CLUSTER=0"})
	require.NoError(t, err, out)
	assert.Contains(t, out, "live tier skipped (go test -short or E2E_REQUIRE_CLUSTER=0): the cluster in KUBECONFIG=testdata/unreachable.kubeconfig is unreachable: ")
	assert.Contains(t, out, "--- SKIP: TestScenarios")
}

func TestBadKnobFailsWithOneLine(t *testing.T) {
	out, err := rerun(t, []string{"E2E_CONSECUTIVE=many"})
	require.Error(t, err, out)
	assert.Contains(t, out, `E2E_CONSECUTIVE="many": expected a positive whole number`)
}
