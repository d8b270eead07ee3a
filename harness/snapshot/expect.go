package snapshot

import (
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios/contract"
)

// expectOf is every expectation a check can take from the prediction alone:
// the mechanism (route, cluster, location, upstream, timeout, retries, the
// egress gateway's hop), and the answer where the config decides it
// (verdict.CertainAnswer). Nothing that depends on the external host.
func expectOf(c contract.Check, p results.Prediction, https bool) contract.Expect {
	e := mechanism(p)
	if answer, ok := verdict.CertainAnswer(c, p, https); ok {
		e.Status, e.From, e.ExitCode = answer.Status, answer.From, answer.ExitCode
	}
	if p.Gateway != nil {
		g := mechanism(*p.Gateway)
		e.Gateway = &g
	}
	return e
}

// mechanism is what the proxy's config does with the request.
func mechanism(p results.Prediction) contract.Expect {
	var e contract.Expect
	if p.Route != results.RouteNone {
		e.Route = p.Route
	}
	e.Location, e.Cluster = p.Location, p.Cluster
	if p.Route != contract.RouteMesh {
		return e
	}
	// A route to a cluster the proxy lacks has no upstream; an EDS cluster
	// with no endpoints known has no address, but its TLS.
	u := contract.Upstream{Host: p.UpstreamHost, Port: p.UpstreamPort}
	if p.TLSMode != "" || p.SNI != "" {
		u.TLS = &contract.UpstreamTLS{Mode: p.TLSMode, SNI: p.SNI}
	}
	if u != (contract.Upstream{}) {
		e.Upstream = &u
	}
	if p.Timeout > 0 {
		e.Timeout = &contract.Duration{Duration: p.Timeout}
	}
	if r := p.Retries; r != nil {
		attempts := r.Attempts
		e.Retries = &contract.Retries{Attempts: &attempts, RetryOn: r.RetryOn}
		if r.PerTryTimeout > 0 {
			e.Retries.PerTryTimeout = &contract.Duration{Duration: r.PerTryTimeout}
		}
	}
	return e
}
