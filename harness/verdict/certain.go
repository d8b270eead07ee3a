package verdict

import (
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// BlackholeTLSExitCode is curl's exit code for HTTPS the sidecar sends to the
// BlackHoleCluster: the connection closes during the TLS handshake (curl's
// CURLE_SSL_CONNECT_ERROR), as istio.io's egress-control test asserts
// (content/en/docs/tasks/traffic-management/egress/egress-control/test.sh,
// snip_change_to_the_blockingbydefault_policy_3: "command terminated with exit code 35").
const BlackholeTLSExitCode = 35

// CertainAnswer is what the client gets for the check whatever the external
// host does, from the predicted config alone, and false when that depends on
// the host: the sidecar's own answer on a direct, redirect or notfound route
// or to a fault that aborts every request; a 504 from the sidecar when its
// first timeout fires before any host can answer (MinTimeoutFor200), on a
// cluster with a known upstream; no
// answer at all (BlackholeTLSExitCode) for HTTPS sent to the BlackHoleCluster.
// The expectation it gives passes Verify.
func CertainAnswer(c contract.Check, p results.Prediction, https bool) (contract.Expect, bool) {
	var e contract.Expect
	switch fires, _ := firstTimeout(p); {
	case p.Route == contract.RouteDirect || p.Route == contract.RouteRedirect || p.Route == contract.RouteNotFound:
		e.Status, e.From = p.DirectStatus, contract.FromEnvoy
	case p.Route == contract.RouteBlackhole && https:
		code := BlackholeTLSExitCode
		e.ExitCode = &code
	case p.Route != contract.RouteMesh:
		return e, false
	case p.Fault != nil && p.Fault.AbortStatus != 0 && p.Fault.AbortPercent >= 100:
		e.Status, e.From = p.Fault.AbortStatus, contract.FromEnvoy
	case !upstreamsKnown(p):
		// A cluster the proxy lacks, or one with no endpoint known: Envoy
		// answers at once without a timeout (503: no cluster, no healthy upstream).
		return e, false
	case p.Fault == nil && fires > 0 && fires < MinTimeoutFor200:
		e.Status, e.From = 504, contract.FromEnvoy
	default:
		return e, false
	}
	c.Expect = e
	if len(Verify(c, p)) > 0 {
		// The rules above and feasibility's are one model: a disagreement
		// (such as a router that hides who answered) keeps the answer out.
		return contract.Expect{}, false
	}
	return e, true
}

// upstreamsKnown tells whether every cluster the route sends requests to
// (each of a weighted route's with a non-zero weight) has a known upstream.
func upstreamsKnown(p results.Prediction) bool {
	if p.UpstreamHost == "" || p.UpstreamPort == 0 {
		return false
	}
	for _, w := range p.Weighted {
		if w.Weight > 0 && (w.UpstreamHost == "" || w.UpstreamPort == 0) {
			return false
		}
	}
	return true
}
