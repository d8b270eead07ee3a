package verdict

import (
	"fmt"
	"strconv"
	"strings"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// Mismatch is one expectation that the prediction contradicts.
type Mismatch struct {
	Field    string
	Expected string
	Observed string
	// Why explains an infeasible expectation; empty for a plain difference.
	Why string
}

func (m Mismatch) String() string {
	s := fmt.Sprintf("expect.%s: expected %s, observed %s", m.Field, m.Expected, m.Observed)
	if m.Why != "" {
		s += ": " + m.Why
	}
	return s
}

// Verify compares every expectation of the check present with the prediction.
func Verify(c contract.Check, p results.Prediction) []Mismatch {
	out := compare(c.Expect, p)
	if g := c.Expect.Gateway; g != nil {
		if p.Gateway == nil {
			out = append(out, Mismatch{Field: "gateway", Expected: "the request to reach the scenario's egress gateway", Observed: describe(p)})
		} else {
			for _, m := range compare(*g, *p.Gateway) {
				m.Field = "gateway." + m.Field
				out = append(out, m)
			}
		}
	}
	return append(out, feasibility(c, p)...)
}

// compare lists the fields of e that p differs from. On a weighted route,
// the cluster expected is one of those with a non-zero weight, and the
// upstream expected is that cluster's; without a cluster, the upstream must
// be every non-zero one's (or it holds only for a share of the requests).
func compare(e contract.Expect, p results.Prediction) []Mismatch {
	var out []Mismatch
	diff := func(field, want, got string) {
		if want != "" && want != got {
			out = append(out, Mismatch{Field: field, Expected: want, Observed: results.OrNone(got)})
		}
	}
	diff("route", e.Route, p.Route)
	diff("location", e.Location, p.Location)
	targets := []results.Prediction{p}
	if len(p.Weighted) > 0 {
		targets = weightedTargets(e, p, &out)
	} else {
		diff("cluster", e.Cluster, p.Cluster)
	}
	for _, t := range targets {
		for _, m := range compareUpstream(e, t) {
			if len(targets) > 1 {
				m.Field += " (cluster " + t.Cluster + ")"
			}
			out = append(out, m)
		}
	}
	if e.Timeout != nil {
		diff("timeout", e.Timeout.String(), results.DurationOrNone(p.Timeout))
	}
	if r := e.Retries; r != nil {
		got := p.Retries
		if got == nil {
			got = &results.PredictedRetries{}
		}
		if r.Attempts != nil {
			diff("retries.attempts", strconv.Itoa(*r.Attempts), strconv.Itoa(got.Attempts))
		}
		if r.PerTryTimeout != nil {
			diff("retries.perTryTimeout", r.PerTryTimeout.String(), results.DurationOrNone(got.PerTryTimeout))
		}
		diff("retries.retryOn", r.RetryOn, got.RetryOn)
	}
	return out
}

// weightedTargets are the clusters of a weighted route the upstream
// expectation is judged on: the expected cluster, when it has a non-zero
// weight (else a mismatch), or every cluster with one.
func weightedTargets(e contract.Expect, p results.Prediction, out *[]Mismatch) []results.Prediction {
	var live []results.Prediction
	var names []string
	for _, w := range p.Weighted {
		if w.Weight == 0 {
			continue
		}
		t := p
		t.Cluster, t.UpstreamHost, t.UpstreamPort, t.TLSMode, t.SNI = w.Cluster, w.UpstreamHost, w.UpstreamPort, w.TLSMode, w.SNI
		if e.Cluster == w.Cluster {
			return []results.Prediction{t}
		}
		live, names = append(live, t), append(names, w.String())
	}
	if e.Cluster != "" {
		*out = append(*out, Mismatch{Field: "cluster", Expected: e.Cluster, Observed: "weighted " + strings.Join(names, ", "),
			Why: "on a weighted route the cluster must be one with a non-zero weight"})
		return nil
	}
	return live
}

// compareUpstream lists the upstream fields of e that p differs from.
func compareUpstream(e contract.Expect, p results.Prediction) []Mismatch {
	u := e.Upstream
	if u == nil {
		return nil
	}
	var out []Mismatch
	diff := func(field, want, got string) {
		if want != "" && want != got {
			out = append(out, Mismatch{Field: field, Expected: want, Observed: results.OrNone(got)})
		}
	}
	diff("upstream.host", u.Host, p.UpstreamHost)
	if u.Port != 0 {
		diff("upstream.port", strconv.Itoa(u.Port), strconv.Itoa(p.UpstreamPort))
	}
	if t := u.TLS; t != nil {
		diff("upstream.tls.mode", t.Mode, p.TLSMode)
		if t.Mode == "" && t.SNI != "" && p.TLSMode == contract.TLSDisable {
			out = append(out, Mismatch{Field: "upstream.tls.mode", Expected: "TLS origination (sni " + t.SNI + ")", Observed: p.TLSMode})
		}
		diff("upstream.tls.sni", t.SNI, p.SNI)
	}
	return out
}
