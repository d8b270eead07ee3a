package results

import (
	"time"

	"istio-egress-conformance/scenarios/contract"
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
	Expect   contract.Expect
	// HostDelay is the check's hostDelay, when it sets one.
	HostDelay time.Duration
	Passed    bool
	Skipped   bool
	// Failures are one line each: expected vs observed, or why the check could not run.
	Failures []string
	Duration time.Duration
	// Prediction is the one read from a proxy's config: the offline
	// translation's (in the offline and live tiers), or the config the
	// control-plane tier's istiod served.
	Prediction *Prediction
	// Sidecar is the live tier's prediction from the client sidecar's own
	// config dump, judged against Prediction.
	Sidecar *Prediction
	// Live holds the live tier's attempts and last curl answer.
	Live *LiveObservation
	// Analysis holds the Istio analyzers' messages on the scenario's
	// fixtures, one line each (warnings and infos: an error fails the load).
	Analysis []string
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
