package curl

import (
	"fmt"
	"strings"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// Judge compares a curl result with the expectations a client can observe:
// curl's exit code, status, who answered (from) and whether a sidecar route
// carried the response (route; blackhole is "no HTTP answer", direct an
// answer the sidecar made). Cluster,
// upstream, timeout and retries are not visible to curl; the offline tier
// asserts those.
func Judge(e contract.Expect, r Result) []string {
	return Observer{}.Judge(e, r)
}

// Observer is what an answer's headers can prove in a run.
type Observer struct {
	// HermeticGateway: the request goes through an egress gateway to the
	// run's hermetic host, which stamps every answer it makes. The sidecar
	// marks every upstream answer with its router's service time, the
	// gateway's own answers (its route timeout's 504) included: such an
	// answer without the host's stamp is the gateway's.
	HermeticGateway bool
}

// From says who answered: envoy (the sidecar), gateway, upstream, or none.
func (o Observer) From(r Result) string {
	from := r.From()
	if o.HermeticGateway && from == contract.FromUpstream && r.Headers.Get(HermeticServerHeader) == "" {
		return contract.FromGateway
	}
	return from
}

// Answer is the result in the terms the reports show.
func (o Observer) Answer(r Result) results.Answer {
	a := r.Answer()
	a.From = o.From(r)
	return a
}

// Judge is the package's Judge with this observer's view of who answered.
func (o Observer) Judge(e contract.Expect, r Result) []string {
	if e.WantsNoResponse() {
		return judgeNoResponse(e, r)
	}
	var out []string
	if r.ExitCode != ExitOK {
		// No HTTP answer: every HTTP expectation fails, and curl's code says why.
		return []string{"no HTTP response: " + r.exitReason()}
	}
	if e.Status != 0 && e.Status != r.Status {
		out = append(out, fmt.Sprintf("status: expected %d, observed %d", e.Status, r.Status))
	}
	if observed := o.From(r); e.From != "" && e.From != observed {
		out = append(out, fmt.Sprintf("from: expected %s, observed %s (server: %q, %s %s, %s %s)", e.From, observed,
			r.Headers.Get("Server"), strings.ToLower(UpstreamServiceTimeHeader), presence(r.Headers.Get(UpstreamServiceTimeHeader) != ""),
			strings.ToLower(HermeticServerHeader), presence(r.Headers.Get(HermeticServerHeader) != "")))
	}
	if loc := r.Headers.Get("Location"); e.Location != "" && e.Location != loc {
		out = append(out, fmt.Sprintf("location: expected %s, observed %s", e.Location, orNone(loc)))
	}
	observedRoute := contract.RoutePassthrough
	switch {
	case (e.Route == contract.RouteDirect || e.Route == contract.RouteRedirect || e.Route == contract.RouteNotFound) && r.AnsweredByEnvoy():
		// A sidecar-made answer: curl cannot tell a direct_response, a
		// redirect or Envoy's 404 from another answer the sidecar made (a
		// timeout's 504); the status and the Location can.
		observedRoute = e.Route
	case r.ThroughEnvoyRoute():
		observedRoute = contract.RouteMesh
	}
	if e.Route != "" && e.Route != observedRoute {
		out = append(out, fmt.Sprintf("route: expected %s, observed %s (envoy-made headers %s)", e.Route, observedRoute, presence(r.ThroughEnvoyRoute())))
	}
	return out
}

// judgeNoResponse judges a check that expects curl to get no HTTP answer.
func judgeNoResponse(e contract.Expect, r Result) []string {
	if r.ExitCode == ExitOK {
		return []string{fmt.Sprintf("%s: expected no HTTP response, observed %s", noResponseField(e), r)}
	}
	if e.ExitCode != nil && *e.ExitCode != r.ExitCode {
		return []string{fmt.Sprintf("exitCode: expected %d, observed %s", *e.ExitCode, r.exitReason())}
	}
	return nil
}

func noResponseField(e contract.Expect) string {
	if e.ExitCode != nil && *e.ExitCode != 0 {
		return "exitCode"
	}
	return "route"
}

// exitReason is curl's exit code, its message and what it usually means here.
func (r Result) exitReason() string {
	msg := fmt.Sprintf("curl exit %d (%s)", r.ExitCode, r.ErrorMessage)
	if hint := r.Hint(); hint != "" {
		msg += ": " + hint
	}
	return msg
}

// From says who answered, in the scenario contract's terms: envoy (the
// sidecar made the response) or upstream; "none" without an HTTP answer.
func (r Result) From() string {
	if r.ExitCode != ExitOK {
		return "none"
	}
	if r.AnsweredByEnvoy() {
		return contract.FromEnvoy
	}
	return contract.FromUpstream
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func presence(b bool) string {
	if b {
		return "present"
	}
	return "absent"
}

// Answer is the result in the terms the reports show.
func (r Result) Answer() results.Answer {
	return results.Answer{Status: r.Status, From: r.From(), Server: r.Server(), UpstreamServiceTime: r.Headers.Get(UpstreamServiceTimeHeader),
		CurlExitCode: r.ExitCode, CurlError: r.ErrorMessage}
}
