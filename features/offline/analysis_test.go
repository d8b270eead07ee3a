package offline

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/analysis"
	"istio-egress-conformance/scenarios"
)

// TestTheCatalogLoadsWithItsAnalysis: no catalog scenario has an analyzer
// error (IST0173 on traffic-shifting is suppressed, with its reason in the
// scenario); the seed's SIMPLE TLS without caCertificates is istioctl's
// warning IST0128, which its scenario carries, naming file and line.
func TestTheCatalogLoadsWithItsAnalysis(t *testing.T) {
	t.Setenv(scenarios.EnvScenarios, "")
	entries, err := analysis.Catalog()
	require.NoError(t, err)
	seed := false
	for _, e := range entries {
		require.NoError(t, e.Err, e.ID)
		if e.ID == "tetrate-https-egress" {
			seed = true
			assert.Equal(t, []string{"Warning [IST0128] (DestinationRule tetrate/tetrate tetrate.yaml:48) DestinationRule tetrate/tetrate in namespace tetrate has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: www.tetrate.io"}, e.Scenario.Analysis)
		}
	}
	assert.True(t, seed, "the seed scenario is in the catalog")
}

// TestSuppressionIsIstioctls: without its suppressAnalysis, traffic-shifting
// gets the two IST0173 errors istioctl analyze gives.
func TestSuppressionIsIstioctls(t *testing.T) {
	s, err := scenarios.BuiltinNamed("istio-task-traffic-shifting")
	require.NoError(t, err)
	msgs, err := analysis.Of(s)
	require.NoError(t, err)
	assert.NoError(t, analysis.Errors(msgs))
	s.SuppressAnalysis = nil
	msgs, err = analysis.Of(s)
	require.NoError(t, err)
	err = analysis.Errors(msgs)
	require.Error(t, err)
	assert.Equal(t, 2, strings.Count(err.Error(), "Error [IST0173] (DestinationRule istio-task-traffic-shifting/httpbin-ext task-traffic-shifting.yaml:29)"), err.Error())
}

// TestAnAnalyzerErrorFailsTheLoad: a fixture that references a missing
// Gateway fails its scenario's load with the analyzer's message, on one line.
func TestAnAnalyzerErrorFailsTheLoad(t *testing.T) {
	t.Setenv(scenarios.EnvScenarios, "testdata/analysis-error")
	entries, err := analysis.Catalog()
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Error(t, entries[0].Err)
	msg := entries[0].Err.Error()
	assert.Contains(t, msg, "scenario testdata/analysis-error/scenario.yaml: istio analyzers: Error [IST0101] (VirtualService analysis-error/through-missing-gateway missing-gateway.yaml:")
	assert.Contains(t, msg, `Referenced gateway not found: "no-such-gateway"`)
	assert.NotContains(t, msg, "\n")
}
