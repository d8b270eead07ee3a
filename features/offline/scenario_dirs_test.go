package offline

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jstemmer/go-junit-report/v2/junit"
	"sigs.k8s.io/yaml"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/reports"
	"istio-egress-conformance/scenarios"
)

// runCatalog runs TestScenarios in a child process of this test binary with
// E2E_SCENARIOS set, as a user would, and returns its verbose output.
// Its reports go to artifacts, a folder of the test's own.
func runCatalog(t *testing.T, dir string) (out string, artifacts string, err error) {
	t.Helper()
	artifacts = t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScenarios$", "-test.v")
	cmd.Env = append(os.Environ(), scenarios.EnvScenarios+"="+dir, "ARTIFACTS="+artifacts)
	b, err := cmd.CombinedOutput()
	return string(b), artifacts, err
}

func TestScenarioDirContradictingIstioFails(t *testing.T) {
	if os.Getenv(scenarios.EnvScenarios) != "" {
		t.Skip("checks the test folders; skipped when E2E_SCENARIOS selects a catalog")
	}
	out, artifacts, err := runCatalog(t, "testdata/contradicting")
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
		"--- FAIL: TestScenarios/wrong-gateway-hop/http ",
		"scenario wrong-gateway-hop, check http: expect.gateway.cluster: expected outbound|443||www.tetrate.io, observed outbound|80||www.tetrate.io",
		"expect.gateway.upstream.tls.mode: expected SIMPLE, observed DISABLE",
		"expect.gateway.timeout: expected 2ms, observed 1ms",
		"--- FAIL: TestScenarios/wrong-gateway-hop/https-from-gateway ",
		"expect.from: expected gateway, observed route passthrough via cluster PassthroughCluster, timeout none: the sidecar does not send the request to the scenario's egress gateway",
		"--- FAIL: TestScenarios/wrong-gateway-api-hop/http ",
		"scenario wrong-gateway-api-hop, check http: expect.gateway.cluster: expected outbound|443||edition.cnn.com, observed outbound|80||edition.cnn.com",
		"scenario wrong-gateway-api-hop, check http: expect.gateway.upstream.port: expected 443, observed 80",
		"scenario wrong-gateway-api-hop, check http: expect.gateway.upstream.tls.mode: expected SIMPLE, observed DISABLE",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "--- PASS: TestScenarios/", "no check of this folder may pass")

	suites := readJUnit(t, artifacts)
	require.Len(t, suites.Suites, 1)
	cases := map[string]junit.Testcase{}
	for _, tc := range suites.Suites[0].Testcases {
		cases[tc.Name] = tc
	}
	assert.Len(t, cases, 8, "one test case per check, plus one for the file that did not load")
	timeout := cases["wrong-mechanism/http"]
	require.NotNil(t, timeout.Failure)
	assert.Contains(t, timeout.Failure.Data, "expect.timeout: expected 10s, observed 1ms")
	assert.Contains(t, timeout.Failure.Data, "offline prediction: route mesh, cluster outbound|80||www.tetrate.io")
	require.NotNil(t, cases["broken-file/load"].Failure)

	report := readReport(t, artifacts)
	assert.Equal(t, "failure", report.Result)
	assert.Equal(t, results.Counts{Failed: 8}, report.Statistics)
	assert.Contains(t, report.FailedTests, "no-timeout/http")
}

func TestScenarioDirHoldingPasses(t *testing.T) {
	if os.Getenv(scenarios.EnvScenarios) != "" {
		t.Skip("checks the test folders; skipped when E2E_SCENARIOS selects a catalog")
	}
	out, artifacts, err := runCatalog(t, "testdata/holding")
	require.NoError(t, err, out)
	assert.Contains(t, out, "--- PASS: TestScenarios/seed-copy/http-origination-timeout ")
	assert.Contains(t, out, "--- PASS: TestScenarios/seed-copy/https-passthrough ")
	assert.Contains(t, out, "--- PASS: TestScenarios/gatewayapi-name-override/http-through-gateway ")
	assert.Contains(t, out, "--- PASS: TestScenarios/sidecar-scope-excludes-host/http-passthrough ")
	assert.NotContains(t, out, "tetrate-https-egress", "E2E_SCENARIOS replaces the built-in catalog")

	report := readReport(t, artifacts)
	assert.Equal(t, "success", report.Result)
	assert.Equal(t, results.Counts{Passed: 6}, report.Statistics)
	require.Len(t, report.Checks, 6)
	assert.Equal(t, "2ms", report.Checks[3].Prediction.Timeout)
	assert.Equal(t, "www.tetrate.io:443", report.Checks[3].Prediction.Upstream)
}

func readJUnit(t *testing.T, dir string) junit.Testsuites {
	data, err := os.ReadFile(filepath.Join(dir, "junit-offline.xml"))
	require.NoError(t, err)
	var suites junit.Testsuites
	require.NoError(t, xml.Unmarshal(data, &suites))
	return suites
}

func readReport(t *testing.T, dir string) reports.ConformanceReport {
	data, err := os.ReadFile(filepath.Join(dir, "conformance-report-offline.yaml"))
	require.NoError(t, err)
	var rep reports.ConformanceReport
	require.NoError(t, yaml.UnmarshalStrict(data, &rep))
	return rep
}

// TestBuiltinCatalogReports checks the reports `make test` leaves: one JUnit
// test case per check of the built-in catalog, and a successful report.
func TestBuiltinCatalogReports(t *testing.T) {
	if os.Getenv(scenarios.EnvScenarios) != "" {
		t.Skip("checks the built-in catalog; skipped when E2E_SCENARIOS selects another")
	}
	out, artifacts, err := runCatalog(t, "")
	require.NoError(t, err, out)
	checks := 0
	for _, e := range scenarios.Builtin() {
		checks += len(e.Scenario.Checks)
	}
	suites := readJUnit(t, artifacts)
	require.Len(t, suites.Suites, 1)
	assert.Equal(t, checks, suites.Suites[0].Tests)
	assert.Len(t, suites.Suites[0].Testcases, checks)
	assert.Zero(t, suites.Suites[0].Failures)
	report := readReport(t, artifacts)
	assert.Equal(t, "success", report.Result)
	assert.Equal(t, results.Counts{Passed: checks}, report.Statistics)
	summary, err := os.ReadFile(filepath.Join(artifacts, "summary-offline.md"))
	require.NoError(t, err)
	assert.Contains(t, string(summary), "### Egress conformance (offline): success")
}
