package verdict

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/reports"
)

// TestAnalysisReachesTheReports: a scenario's analyzer messages, recorded
// once, are on each of its entries, in the JUnit system-out of its test
// cases and in the conformance report; another scenario's are not.
func TestAnalysisReachesTheReports(t *testing.T) {
	r := NewRecorder(results.TierOffline, nil)
	line := "Warning [IST0128] (DestinationRule tetrate/tetrate tetrate.yaml:48) no caCertificates"
	r.Analysis("seed", []string{line})
	r.Record(results.CheckResult{Scenario: "seed", Check: "a", Passed: true})
	r.Record(results.CheckResult{Scenario: "other", Check: "b", Passed: true})
	run := r.Run()
	require.Len(t, run.Results, 2)
	assert.Equal(t, []string{line}, run.Results[0].Analysis)
	assert.Empty(t, run.Results[1].Analysis)

	cases := reports.JUnit(run).Suites[0].Testcases
	require.NotNil(t, cases[0].SystemOut)
	assert.Equal(t, "istio analyzers:\n"+line, cases[0].SystemOut.Data)
	assert.Nil(t, cases[1].SystemOut)
	assert.Equal(t, []string{line}, reports.Report(run).Checks[0].Analysis)
}
