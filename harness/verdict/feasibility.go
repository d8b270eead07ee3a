package verdict

import (
	"fmt"
	"strconv"
	"time"

	"istio-egress-conformance/harness/curl"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// MinTimeoutFor200 is the shortest timeout an answer from the host can beat:
// a TLS handshake and a response take 10ms or more. (An envoy-made 504 needs
// a timeout shorter than the host's answer: the check's hostDelay, by default
// contract.DefaultHostDelay.)
const MinTimeoutFor200 = 10 * time.Millisecond

// feasibility fails status, from and exitCode expectations that cannot hold
// under the predicted mechanism, whatever the live host does.
func feasibility(c contract.Check, p results.Prediction) []Mismatch {
	e := c.Expect
	var out []Mismatch
	infeasible := func(field, want, why string) {
		out = append(out, Mismatch{Field: field, Expected: want, Observed: describe(p), Why: why})
	}
	if self, done := routeFeasibility(e, p); done {
		return self
	}
	if e.From == contract.FromEnvoy && p.Route == contract.RoutePassthrough {
		infeasible("from", "envoy", "the sidecar only proxies TCP on a passthrough route and never answers itself")
	}
	if e.From == contract.FromGateway {
		out = append(out, gatewayFeasibility(c, p)...)
	}
	if p.Route != contract.RouteMesh {
		return out
	}
	if f := p.Fault; f != nil {
		fault, decided := faultFeasibility(c, p, *f)
		if out = append(out, fault...); decided {
			return out
		}
	}
	wantsTimeout := e.Status == 504 && e.From == contract.FromEnvoy
	answered := e.Status >= 200 && e.Status < 300 || e.From == contract.FromUpstream
	fires, which := firstTimeout(p)
	delay := c.AnswerDelay()
	switch {
	case wantsTimeout && fires == 0:
		infeasible("status", "504 from envoy", "the matched route has no timeout (route or per try), so the sidecar cannot time out")
	case wantsTimeout && fires >= delay:
		infeasible("status", "504 from envoy", fmt.Sprintf("the %s %s is too long to fire before the host answers (%s)", which, fires, hostDelayText(c)))
	case answered && fires > 0 && fires < MinTimeoutFor200:
		infeasible("status", expectedAnswer(e), fmt.Sprintf("the %s %s fires before any host can answer (needs %s or more)", which, fires, MinTimeoutFor200))
	case answered && fires > 0 && c.HostDelay != nil && fires <= delay:
		infeasible("status", expectedAnswer(e), fmt.Sprintf("the %s %s fires before the host answers (%s)", which, fires, hostDelayText(c)))
	}
	if e.From != "" && p.Headers != nil && !p.Headers.UpstreamServiceTime {
		infeasible("from", e.From, "the router suppresses x-envoy-upstream-service-time, so an upstream answer cannot be told from one the sidecar made")
	}
	if e.ExitCode != nil && *e.ExitCode != 0 && p.Timeout > 0 && p.Timeout < curl.DefaultMaxTime {
		infeasible("exitCode", strconv.Itoa(*e.ExitCode), fmt.Sprintf("on a mesh route the sidecar answers itself (a 503 or 504) at the latest when the route timeout %s fires, before curl gives up", p.Timeout))
	}
	return out
}

// routeFeasibility judges the routes on which the sidecar answers itself or
// gives no answer; done says the route is one of those, and the mesh and
// passthrough rules do not apply.
func routeFeasibility(e contract.Expect, p results.Prediction) (out []Mismatch, done bool) {
	infeasible := func(field, want, why string) {
		out = append(out, Mismatch{Field: field, Expected: want, Observed: describe(p), Why: why})
	}
	switch p.Route {
	case contract.RouteMesh, contract.RoutePassthrough:
		return nil, false
	case contract.RouteDirect:
		return directFeasibility(e, p.DirectStatus, describe(p), fmt.Sprintf("the sidecar answers this request itself with %d (direct_response)", p.DirectStatus)), true
	case contract.RouteRedirect:
		// Envoy's router answers a redirect route itself (route_components.proto, RedirectAction).
		return directFeasibility(e, p.DirectStatus, describe(p), fmt.Sprintf("the sidecar answers this request itself with a %d redirect to %s", p.DirectStatus, p.Location)), true
	case contract.RouteNotFound:
		// Envoy's router answers a request no route matches with a 404 of its
		// own (source/common/router/router.cc: route_not_found, response flag NR).
		return directFeasibility(e, p.DirectStatus, describe(p), fmt.Sprintf("no route of virtual host %s matches the request: the sidecar answers %d itself (Envoy's NR)", p.VirtualHost, p.DirectStatus)), true
	case contract.RouteBlackhole:
		if e.Status != 0 || e.From != "" || e.ExitCode != nil && *e.ExitCode == 0 {
			infeasible("status", "an HTTP answer", "the sidecar sends the connection to the BlackHoleCluster and closes it, so no HTTP answer comes back")
		}
		return out, true
	}
	if e.Route == "" {
		// A check that does not assert the route still needs the request to go somewhere.
		infeasible("route", "a mesh, passthrough or direct route", "the request matches no route, so no expectation can hold")
	}
	return out, true
}

// gatewayFeasibility judges from: gateway, an answer the egress gateway made
// and the client's sidecar relayed: the request must reach the gateway, the
// gateway must route it over HTTP (on a passthrough route it only proxies
// TCP), and a 504 needs a gateway timeout that fires before the host answers
// and not after the sidecar's own (whose 504 would be the sidecar's).
func gatewayFeasibility(c contract.Check, p results.Prediction) []Mismatch {
	g := p.Gateway
	infeasible := func(why string) []Mismatch {
		return []Mismatch{{Field: "from", Expected: contract.FromGateway, Observed: describe(p), Why: why}}
	}
	switch {
	case g == nil:
		return infeasible("the sidecar does not send the request to the scenario's egress gateway")
	case g.Listener == "":
		return infeasible("no listener of the egress gateway takes the request: the gateway refuses it, and the sidecar answers")
	case g.Headers == nil || g.Route == contract.RoutePassthrough:
		return infeasible("the egress gateway only proxies TCP for this request (no HTTP route of its own) and never answers itself")
	case c.Expect.Status != 504 || g.Route != contract.RouteMesh:
		return nil
	}
	gf, gwhich := firstTimeout(*g)
	sf, swhich := firstTimeout(p)
	switch {
	case gf == 0:
		return infeasible("the egress gateway's route has no timeout (route or per try), so the gateway cannot time out")
	case gf >= c.AnswerDelay():
		return infeasible(fmt.Sprintf("the egress gateway's %s %s is too long to fire before the host answers (%s)", gwhich, gf, hostDelayText(c)))
	case sf > 0 && sf <= gf:
		// The sidecar's timer starts first: on equal timeouts it fires first.
		return infeasible(fmt.Sprintf("the sidecar's %s %s fires before the egress gateway's %s %s: the 504 is the sidecar's (from: envoy)", swhich, sf, gwhich, gf))
	}
	return nil
}

// firstTimeout is the timeout that fires first on the matched route: the
// route's, or the per-try one, which Envoy answers with a 504 once the tries
// are spent (envoy config/route/v3/route_components.proto, RetryPolicy.per_try_timeout;
// Istio sets both from the VirtualService: pilot/pkg/networking/core/route/route.go and route/retry/retry.go).
func firstTimeout(p results.Prediction) (time.Duration, string) {
	fires, which := p.Timeout, "route timeout"
	if r := p.Retries; r != nil && r.PerTryTimeout > 0 && (fires == 0 || r.PerTryTimeout < fires) {
		fires, which = r.PerTryTimeout, "per-try timeout"
	}
	return fires, which
}

func hostDelayText(c contract.Check) string {
	if c.HostDelay == nil {
		return fmt.Sprintf("assumed within %s: set the check's hostDelay if the host is slower", contract.DefaultHostDelay)
	}
	return "hostDelay " + c.HostDelay.String()
}

// directFeasibility judges a request the sidecar answers itself with status
// (a direct_response, a redirect, Envoy's 404, a fault's abort): the status
// is that one, it comes from envoy, and curl gets an answer.
func directFeasibility(e contract.Expect, status int, observed, why string) []Mismatch {
	var out []Mismatch
	if e.Status != 0 && e.Status != status {
		out = append(out, Mismatch{Field: "status", Expected: strconv.Itoa(e.Status), Observed: observed, Why: why})
	}
	if e.From == contract.FromUpstream || e.From == contract.FromGateway {
		out = append(out, Mismatch{Field: "from", Expected: e.From, Observed: observed, Why: why})
	}
	if e.ExitCode != nil && *e.ExitCode != 0 {
		out = append(out, Mismatch{Field: "exitCode", Expected: strconv.Itoa(*e.ExitCode), Observed: observed, Why: why})
	}
	return out
}

// faultFeasibility judges a mesh route with a fault
// (source/extensions/filters/http/fault/fault_filter.cc): an abort of every
// request is the sidecar's own answer, decided before any upstream or
// timeout (decided); a delay waits before the router, so it does not count
// against the route timeout (the router starts it in onRequestComplete),
// but curl gives up on one as long as its --max-time. A fault on only a
// share of the requests makes any status or from expectation true only some
// of the time: it is judged infeasible rather than left to flake.
func faultFeasibility(c contract.Check, p results.Prediction, f results.PredictedFault) (out []Mismatch, decided bool) {
	e := c.Expect
	asserted := e.Status != 0 || e.From != ""
	infeasible := func(why string) {
		out = append(out, Mismatch{Field: "status", Expected: expectedAnswer(e), Observed: describe(p), Why: why})
	}
	maxTime := curl.DefaultMaxTime + c.DeclaredHostDelay() // the live tier's curl --max-time
	switch {
	case f.Delay >= maxTime && f.DelayPercent >= 100 && asserted:
		infeasible(fmt.Sprintf("the fault filter delays every request by %s, curl gives up after %s (exit 28)", f.Delay, maxTime))
	case f.Delay >= maxTime && f.DelayPercent > 0 && asserted:
		infeasible(fmt.Sprintf("the fault filter delays %g%% of requests by %s, longer than curl waits (%s): the answer would come only some of the time", f.DelayPercent, f.Delay, maxTime))
	case f.AbortStatus == 0 || f.AbortPercent <= 0:
	case f.AbortPercent >= 100:
		why := fmt.Sprintf("the fault filter aborts every request with %d before it reaches the upstream", f.AbortStatus)
		return append(out, directFeasibility(e, f.AbortStatus, describe(p), why)...), true
	case asserted:
		infeasible(fmt.Sprintf("the fault filter aborts %g%% of requests with %d: a status or from expectation would hold only some of the time; assert the route's config (cluster, timeout) instead", f.AbortPercent, f.AbortStatus))
	}
	return out, false
}

func expectedAnswer(e contract.Expect) string {
	if e.Status != 0 {
		return strconv.Itoa(e.Status)
	}
	return "an answer from upstream"
}

func describe(p results.Prediction) string {
	s := fmt.Sprintf("route %s via cluster %s, timeout %s", p.Route, results.OrNone(p.Cluster), results.DurationOrNone(p.Timeout))
	if p.Error != "" {
		s += " (" + p.Error + ")"
	}
	return s
}
