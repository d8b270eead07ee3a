// Package reports turns a run's check results into what dashboards and people
// read: JUnit (one test case per check), a conformance report (YAML, in the
// spirit of Gateway API's ConformanceReport) and a Markdown summary. Files are
// written atomically under $ARTIFACTS.
package reports

import (
	"fmt"
	"time"

	"istio-egress-conformance/harness/converge"
	"istio-egress-conformance/harness/curl"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/scenarios"
)

// Tiers.
const (
	TierOffline      = "offline"
	TierControlPlane = "controlplane"
	TierLive         = "live"
)

// Run is one tier's run over a catalog.
type Run struct {
	Tier  string
	Start time.Time
	// Environment describes where the run happened (Istio version, Kubernetes
	// version, node image, external mode, run id ...); it becomes JUnit suite properties.
	Environment map[string]string
	Results     []CheckResult
}

// CheckResult is the verdict of one check (or of a scenario file that did not load).
type CheckResult struct {
	Scenario string
	Check    string
	URL      string
	Expect   scenarios.Expect
	Passed   bool
	Skipped  bool
	// Failures are one line each: expected vs observed, or why the check could not run.
	Failures []string
	Duration time.Duration
	// Prediction is the offline engine's, when the offline tier ran.
	Prediction *offline.Prediction
	// Live holds the live tier's attempts and last curl result.
	Live *LiveObservation
}

// LiveObservation is what the live tier saw for a check.
type LiveObservation struct {
	Last    curl.Result
	Outcome converge.Outcome
}

// Name is the check's test name: <scenario>/<check>.
func (c CheckResult) Name() string {
	return c.Scenario + "/" + c.Check
}

// Counts are the run's statistics.
type Counts struct {
	Passed  int `yaml:"passed"`
	Failed  int `yaml:"failed"`
	Skipped int `yaml:"skipped"`
}

// Counts tallies the results.
func (r Run) Counts() Counts {
	var c Counts
	for _, res := range r.Results {
		switch {
		case res.Skipped:
			c.Skipped++
		case res.Passed:
			c.Passed++
		default:
			c.Failed++
		}
	}
	return c
}

// Outcome is success (all ran checks passed), partial (some passed) or failure.
func (r Run) Outcome() string {
	c := r.Counts()
	switch {
	case c.Failed == 0 && c.Passed > 0:
		return "success"
	case c.Failed > 0 && c.Passed > 0:
		return "partial"
	}
	return "failure"
}

// PredictionVerdict judges one check's prediction with offline.Verify, the
// rule both the offline and the control-plane tiers apply: one failure line
// per mismatch, naming the scenario and the check.
func PredictionVerdict(s scenarios.Scenario, c scenarios.Check, p offline.Prediction, d time.Duration) CheckResult {
	res := CheckResult{Scenario: s.Name, Check: c.Name, URL: c.URL, Expect: c.Expect, Prediction: &p, Duration: d}
	for _, m := range offline.Verify(c.Expect, p) {
		res.Failures = append(res.Failures, fmt.Sprintf("scenario %s, check %s: %s", s.Name, c.Name, m))
	}
	res.Passed = len(res.Failures) == 0
	return res
}
