package controlplane

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"istio-egress-conformance/reports"
)

// TestADisagreementFailsTheReport runs the seed scenario through this tier in
// a child test process whose offline prediction of the http check is changed
// (its timeout one second longer): istiod's config still meets every
// expectation, so only the disagreement can fail the check, and it must fail
// go test, the JUnit and the conformance report alike, naming both sources.
// The other check and the scenario's SDS entries are untouched.
func TestADisagreementFailsTheReport(t *testing.T) {
	t.Parallel()
	need(t) // the child needs what the parent needs
	artifacts := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScenarios$/^tetrate-https-egress$")
	cmd.Env = append(os.Environ(), "ARTIFACTS="+artifacts, forceDisagreement+"=http-origination-timeout", "E2E_SCENARIOS=")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the disagreement must fail go test:\n%s", out)

	raw, err := os.ReadFile(filepath.Join(artifacts, "conformance-report-controlplane.yaml"))
	require.NoError(t, err, "child output:\n%s", out)
	var report reports.ConformanceReport
	require.NoError(t, yaml.Unmarshal(raw, &report))
	results := map[string]reports.CheckReport{}
	for _, c := range report.Checks {
		results[c.Name] = c
	}
	http := results["tetrate-https-egress/http-origination-timeout"]
	assert.Equal(t, "failed", http.Result)
	assert.Equal(t, []string{"scenario tetrate-https-egress, check http-origination-timeout: sources disagree: timeout: the offline translation 1.001s, the real istiod's config 1ms"}, http.Failures)
	assert.Equal(t, "passed", results["tetrate-https-egress/https-passthrough"].Result)
	assert.Equal(t, []string{"tetrate-https-egress/http-origination-timeout"}, report.FailedTests)

	junit, err := os.ReadFile(filepath.Join(artifacts, "junit-controlplane.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(junit), "sources disagree: timeout: the offline translation 1.001s, the real istiod")
}
