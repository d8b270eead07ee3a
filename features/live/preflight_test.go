package live

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rerun runs this test binary's TestScenarios again with extra environment.
func rerun(t *testing.T, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScenarios$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestRequireClusterTurnsTheSkipIntoAFailure(t *testing.T) {
	if skipLine == "" {
		t.Skip("a cluster is available: the no-cluster paths are not reachable here")
	}
	out, err := rerun(t, "E2E_REQUIRE_CLUSTER=1")
	require.Error(t, err, out)
	assert.Contains(t, out, "live tier cannot run (E2E_REQUIRE_CLUSTER=1): ")
	assert.NotContains(t, out, "--- PASS")
}

func TestUnreachableKubeconfigSkipsWithOneLine(t *testing.T) {
	if skipLine == "" {
		t.Skip("a cluster is available: the no-cluster paths are not reachable here")
	}
	out, err := rerun(t, "KUBECONFIG=testdata/unreachable.kubeconfig", "E2E_REQUIRE_CLUSTER=0")
	require.NoError(t, err, out)
	assert.Contains(t, out, "live tier skipped: the cluster in KUBECONFIG=testdata/unreachable.kubeconfig is unreachable: ")
	assert.Contains(t, out, "connection refused")
	assert.Contains(t, out, "--- SKIP: TestScenarios")

	out, err = rerun(t, "KUBECONFIG=testdata/unreachable.kubeconfig", "E2E_REQUIRE_CLUSTER=1")
	require.Error(t, err, out)
	assert.Contains(t, out, "live tier cannot run (E2E_REQUIRE_CLUSTER=1): the cluster in KUBECONFIG=testdata/unreachable.kubeconfig is unreachable")
}

func TestBadKnobFailsWithOneLine(t *testing.T) {
	out, err := rerun(t, "E2E_CONSECUTIVE=many")
	require.Error(t, err, out)
	assert.Contains(t, out, `E2E_CONSECUTIVE="many": expected a positive whole number`)
}
