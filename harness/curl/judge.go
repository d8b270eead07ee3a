package curl

import (
	"fmt"

	"istio-egress-conformance/scenarios"
)

// Judge compares a curl result with the expectations a client can observe:
// status, who answered (from) and whether a sidecar route carried the
// response (route). Cluster, upstream, timeout and retries are not visible to
// curl; the offline tier asserts those.
func Judge(e scenarios.Expect, r Result) []string {
	var out []string
	if r.ExitCode != ExitOK {
		// No HTTP answer: every HTTP expectation fails, and curl's code says why.
		msg := fmt.Sprintf("no HTTP response: curl exit %d (%s)", r.ExitCode, r.ErrorMessage)
		if hint := r.Hint(); hint != "" {
			msg += ": " + hint
		}
		return []string{msg}
	}
	if e.Status != 0 && e.Status != r.Status {
		out = append(out, fmt.Sprintf("status: expected %d, observed %d", e.Status, r.Status))
	}
	if observed := r.From(); e.From != "" && e.From != observed {
		out = append(out, fmt.Sprintf("from: expected %s, observed %s (server: %q)", e.From, observed, r.Headers.Get("Server")))
	}
	observedRoute := scenarios.RoutePassthrough
	if r.ThroughEnvoyRoute() {
		observedRoute = scenarios.RouteMesh
	}
	if e.Route != "" && e.Route != observedRoute {
		out = append(out, fmt.Sprintf("route: expected %s, observed %s (envoy-made headers %s)", e.Route, observedRoute, presence(r.ThroughEnvoyRoute())))
	}
	return out
}

// From says who answered, in the scenario contract's terms: envoy (the
// sidecar made the response) or upstream.
func (r Result) From() string {
	if r.AnsweredByEnvoy() {
		return scenarios.FromEnvoy
	}
	return scenarios.FromUpstream
}

func presence(b bool) string {
	if b {
		return "present"
	}
	return "absent"
}
