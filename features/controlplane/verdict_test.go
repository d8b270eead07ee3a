package controlplane

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"istio-egress-conformance/harness/controlplane"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/reports"
	"istio-egress-conformance/scenarios"
)

// TestADisagreementFailsTheReport runs the seed scenario through the real
// istiod, then changes the offline translation's prediction of its http
// check (a timeout one second longer) in the evidence TestScenarios judges
// each check with. istiod's config still meets every expectation, so only
// the disagreement can fail the check: it must, naming both sources, and
// the conformance report written from the entry must fail that check alone.
// That a failing check's entry is its test's outcome is the Recorder's own
// test (harness/verdict, TestRecorderTakesEachEntryFromItsTest).
func TestADisagreementFailsTheReport(t *testing.T) {
	judgeAlone(t)
	srv, mesh := need(t)
	seed, err := scenarios.BuiltinNamed("tetrate-https-egress")
	require.NoError(t, err)
	runID, ip := nextRun()
	ev := tierEvidence(mesh.Judge(context.Background(), srv.Config, runID, ip, seed))
	require.NoError(t, ev.err)
	require.NoError(t, ev.offlineErr)
	s := ev.out.Scenario
	rec := verdict.NewRecorder(results.TierControlPlane, nil)
	for k, c := range s.Checks {
		agreeing := verdict.Of(s.Name, c, ev.of(k), 0)
		require.True(t, agreeing.Passed, "%v", agreeing.Failures)
		if c.Name == "http-origination-timeout" {
			ev.offline[k].Timeout += time.Second
		}
		rec.Record(verdict.Of(s.Name, c, ev.of(k), 0))
	}

	artifacts := t.TempDir()
	require.NoError(t, reports.WriteAll(artifacts, rec.Run()))
	raw, err := os.ReadFile(filepath.Join(artifacts, "conformance-report-controlplane.yaml"))
	require.NoError(t, err)
	var report reports.ConformanceReport
	require.NoError(t, yaml.Unmarshal(raw, &report))
	byName := map[string]reports.CheckReport{}
	for _, c := range report.Checks {
		byName[c.Name] = c
	}
	http := byName["tetrate-https-egress/http-origination-timeout"]
	assert.Equal(t, "failed", http.Result)
	assert.Equal(t, []string{"scenario tetrate-https-egress, check http-origination-timeout: sources disagree: timeout: the offline translation 1.001s, the real istiod's config 1ms"}, http.Failures)
	assert.Equal(t, "passed", byName["tetrate-https-egress/https-passthrough"].Result)
	assert.Equal(t, []string{"tetrate-https-egress/http-origination-timeout"}, report.FailedTests)
	assert.Equal(t, "partial", report.Result)
}

// TestAnEngineErrorFailsEveryCheck: when the tier cannot judge a scenario
// (istiod died, the config never came), every check of it fails with that
// error: none is dropped from the report, none passes on no evidence.
func TestAnEngineErrorFailsEveryCheck(t *testing.T) {
	seed, err := scenarios.BuiltinNamed("tetrate-https-egress")
	require.NoError(t, err)
	ev := tierEvidence(controlplane.Outcome{}, errors.New("istiod exited (signal: killed)"))
	for k, c := range seed.Checks {
		res := verdict.Of(seed.Name, c, ev.of(k), 0)
		assert.False(t, res.Passed, c.Name)
		assert.Equal(t, []string{"scenario tetrate-https-egress, check " + c.Name + ": the control-plane tier could not judge the scenario: istiod exited (signal: killed)"}, res.Failures)
	}
}
