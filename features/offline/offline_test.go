// Package offline runs every scenario of the catalog through the offline
// engine: Istio's own config translation and traffic simulation, no cluster.
package offline

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	conformance "istio-egress-conformance"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/reports"
	"istio-egress-conformance/scenarios"
)

// collected holds every check's verdict for the reports TestMain writes.
var collected struct {
	sync.Mutex
	run results.Run
}

func TestMain(m *testing.M) {
	collected.run = results.Run{Tier: results.TierOffline, Start: time.Now(), Environment: environment()}
	code := m.Run()
	if len(collected.run.Results) > 0 {
		dir := config.ArtifactsDir()
		if err := reports.WriteAll(dir, collected.run); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = max(code, 1)
		}
		fmt.Printf("offline tier: %s, reports in %s\n", collected.run.Outcome(), dir)
	}
	os.Exit(code)
}

func record(r results.CheckResult) {
	collected.Lock()
	defer collected.Unlock()
	collected.run.Results = append(collected.run.Results, r)
}

// TestScenarios has one subtest per check, named <scenario>/<check>, so that
// -run selects them and JUnit shows each one. A scenario file that fails to
// load fails its own subtest with the loader's message.
func TestScenarios(t *testing.T) {
	catalog, err := scenarios.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range catalog {
		t.Run(entry.ID, func(t *testing.T) {
			start := time.Now()
			if entry.Err != nil {
				record(results.CheckResult{Scenario: entry.ID, Check: "load", Failures: []string{entry.Err.Error()}})
				t.Fatal(entry.Err)
			}
			s := entry.Scenario
			predictions, err := offline.Predict(s)
			if err != nil {
				record(results.CheckResult{Scenario: s.Name, Check: "translate", Failures: []string{err.Error()}, Duration: time.Since(start)})
				t.Fatal(err)
			}
			// One translation serves every check of the scenario: each is charged its share.
			perCheck := time.Since(start) / time.Duration(len(s.Checks))
			for i, check := range s.Checks {
				p := predictions[i]
				t.Run(check.Name, func(t *testing.T) {
					t.Logf("%s %s: %s", s.Name, check.URL, p)
					res := judge.Verdict(s, check, p, perCheck)
					for _, f := range res.Failures {
						t.Error(f)
					}
					record(res)
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
