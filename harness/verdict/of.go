package verdict

import (
	"fmt"
	"time"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// Source is one account of what a proxy's config does with a check's
// request, named for the failures that cite it ("the real istiod's config").
type Source struct {
	Name       string
	Prediction results.Prediction
	// SidecarOnly says the source holds the client sidecar's config alone:
	// its prediction has no egress gateway hop to compare.
	SidecarOnly bool
}

// Evidence is everything a tier learned about one check.
type Evidence struct {
	// Judged is the prediction the expectations are verified against; nil
	// when the tier could read no proxy config for the check.
	Judged *Source
	// Agree are the tier's other sources: each must predict what Judged does.
	Agree []Source
	// Live is what the live client observed; its convergence must have passed.
	Live *results.LiveObservation
	// Problems are failures found outside the prediction (a cluster still
	// warming, an SDS answer that differs, an engine error), one line each.
	Problems []string
}

// Of is the verdict of one check: every expectation against the judged
// prediction, every other source's agreement with it, the live observation
// and the problems, each failure one line naming the scenario and the check.
func Of(scenario string, c contract.Check, ev Evidence, d time.Duration) results.CheckResult {
	res := Entry(scenario, c)
	res.Duration, res.Live = d, ev.Live
	fail := func(line string) {
		res.Failures = append(res.Failures, fmt.Sprintf("scenario %s, check %s: %s", scenario, c.Name, line))
	}
	if j := ev.Judged; j != nil {
		res.Prediction = &j.Prediction
		for _, m := range Verify(c, j.Prediction) {
			fail(m.String())
		}
		for _, a := range ev.Agree {
			for _, d := range disagreements(*j, a) {
				fail(d)
			}
		}
	}
	if l := ev.Live; l != nil && !l.Convergence.Passed {
		fail(fmt.Sprintf("(%s): %s", c.URL, l.Convergence))
	}
	for _, p := range ev.Problems {
		fail(p)
	}
	if ev.Judged == nil && ev.Live == nil && len(ev.Problems) == 0 {
		fail(NothingJudged) // a check is never passed on no evidence
	}
	res.Passed = len(res.Failures) == 0
	return res
}

// NothingJudged is the failure of a check for which a tier had neither a
// prediction nor an observation.
const NothingJudged = "nothing was judged: the tier has neither a prediction nor an observation for this check"

// disagreements are the fields in which source a predicts otherwise than the
// judged source j, each line naming both.
func disagreements(j, a Source) []string {
	want := j.Prediction
	if a.SidecarOnly {
		want.Gateway = nil
	}
	var out []string
	for _, d := range results.Disagreements(a.Name, a.Prediction, j.Name, want) {
		out = append(out, "sources disagree: "+d)
	}
	return out
}

// Entry is the report entry of a check before any verdict: what it asks.
func Entry(scenario string, c contract.Check) results.CheckResult {
	return results.CheckResult{Scenario: scenario, Check: c.Name, URL: c.URL, Expect: c.Expect, HostDelay: c.DeclaredHostDelay()}
}
