package offline

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/scenarios"
)

// runCatalog runs TestScenarios in a child process of this test binary with
// E2E_SCENARIOS set, as a user would, and returns its verbose output.
func runCatalog(t *testing.T, dir string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScenarios$", "-test.v")
	cmd.Env = append(os.Environ(), scenarios.EnvScenarios+"="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestScenarioDirContradictingIstioFails(t *testing.T) {
	if os.Getenv(scenarios.EnvScenarios) != "" {
		t.Skip("checks the test folders; skipped when E2E_SCENARIOS selects a catalog")
	}
	out, err := runCatalog(t, "testdata/contradicting")
	require.Error(t, err, "a catalog that contradicts Istio must fail:\n%s", out)
	for _, want := range []string{
		"--- FAIL: TestScenarios/wrong-mechanism/http ",
		"scenario wrong-mechanism, check http: expect.route: expected passthrough, observed mesh",
		"expect.cluster: expected outbound|443||www.tetrate.io, observed outbound|80||www.tetrate.io",
		"expect.upstream.host: expected tetrate.io, observed www.tetrate.io",
		"expect.upstream.port: expected 80, observed 443",
		"expect.upstream.tls.sni: expected www.tetrate.io, observed tetrate.io",
		"expect.timeout: expected 10s, observed 1ms",
		"expect.retries.attempts: expected 5, observed 3",
		"expect.retries.perTryTimeout: expected 2s, observed 1ms",
		"expect.retries.retryOn: expected 5xx, observed gateway-error,5xx",
		"--- FAIL: TestScenarios/infeasible-status/http-200-through-1ms ",
		"expect.status: expected 200, observed route mesh via cluster outbound|80||www.tetrate.io, timeout 1ms: the route timeout 1ms fires before any host can answer",
		"--- FAIL: TestScenarios/infeasible-status/https-from-envoy ",
		"expect.from: expected envoy, observed route passthrough via cluster PassthroughCluster",
		"--- FAIL: TestScenarios/no-timeout/http ",
		"expect.status: expected 504 from envoy, observed route mesh via cluster outbound|80||www.tetrate.io, timeout none: the matched route has no timeout",
		"--- FAIL: TestScenarios/broken-file ",
		`invalid duration "whenever"`,
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "--- PASS: TestScenarios/", "no check of this folder may pass")
}

func TestScenarioDirHoldingPasses(t *testing.T) {
	if os.Getenv(scenarios.EnvScenarios) != "" {
		t.Skip("checks the test folders; skipped when E2E_SCENARIOS selects a catalog")
	}
	out, err := runCatalog(t, "testdata/holding")
	require.NoError(t, err, out)
	assert.Contains(t, out, "--- PASS: TestScenarios/seed-copy/http-origination-timeout ")
	assert.Contains(t, out, "--- PASS: TestScenarios/seed-copy/https-passthrough ")
	assert.NotContains(t, out, "tetrate-https-egress", "E2E_SCENARIOS replaces the built-in catalog")
}
