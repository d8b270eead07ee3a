// Package offline runs every scenario of the catalog through the offline
// engine: Istio's own config translation and traffic simulation, no cluster.
package offline

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	conformance "istio-egress-conformance"
	"istio-egress-conformance/harness/analysis"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/reports"
	"istio-egress-conformance/scenarios"
)

// recorder holds every check's entry for the reports TestMain writes.
var recorder = verdict.NewRecorder(results.TierOffline, environment())

func TestMain(m *testing.M) {
	code := m.Run()
	if run := recorder.Run(); len(run.Results) > 0 {
		dir := config.ArtifactsDir()
		if err := reports.WriteAll(dir, run); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = max(code, 1)
		}
		fmt.Printf("offline tier: %s, reports in %s\n", run.Outcome(), dir)
	}
	os.Exit(code)
}

// TestScenarios has one subtest per check, named <scenario>/<check>, so that
// -run selects them and JUnit shows each one; each report entry is its
// subtest's outcome. A scenario file that fails to load fails its own
// subtest with the loader's message; a translation that fails fails every
// check of the scenario with its error.
func TestScenarios(t *testing.T) {
	catalog, err := analysis.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range catalog {
		t.Run(entry.ID, func(t *testing.T) {
			if entry.Err != nil {
				recorder.Fail(t, results.CheckResult{Scenario: entry.ID, Check: "load"}, entry.Err.Error())
				return
			}
			s := entry.Scenario
			recorder.Analysis(s.Name, s.Analysis)
			start := time.Now()
			predictions, err := offline.Predict(s)
			// One translation serves every check of the scenario: each is charged its share.
			perCheck := time.Since(start) / time.Duration(len(s.Checks))
			for i, check := range s.Checks {
				recorder.RunCheck(t, check.Name, verdict.Entry(s.Name, check), func(c *verdict.Check) {
					if err != nil {
						c.Fatal(fmt.Sprintf("scenario %s: Istio's translation: %v", s.Name, err))
					}
					p := predictions[i]
					c.T().Logf("%s %s: %s", s.Name, check.URL, p)
					c.Judge(verdict.Of(s.Name, check, verdict.Evidence{Judged: &verdict.Source{Name: "the offline translation", Prediction: p}}, perCheck))
				})
			}
		})
	}
}

// environment describes the offline run for the reports.
func environment() map[string]string {
	env := map[string]string{
		"tier":                  results.TierOffline,
		"go":                    runtime.Version(),
		"proxyIstioVersion":     config.DefaultIstioVersion,
		"scenarios":             "built-in",
		"istio.io/istio":        conformance.PinnedVersion("istio.io/istio"),
		"outboundTrafficPolicy": "ALLOW_ANY",
	}
	if dir := os.Getenv(scenarios.EnvScenarios); dir != "" {
		env["scenarios"] = dir
	}
	return env
}
