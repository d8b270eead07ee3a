package verdict

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

func meshRoute(timeout time.Duration) results.Prediction {
	return results.Prediction{Route: contract.RouteMesh, Cluster: "outbound|80||h", Timeout: timeout}
}

func TestFeasibilityBounds(t *testing.T) {
	envoy504 := contract.Expect{Status: 504, From: contract.FromEnvoy}
	ok200 := contract.Expect{Status: 200}
	fromHost := contract.Expect{From: contract.FromUpstream}
	exit0, exit35 := 0, 35
	noAnswer := contract.Expect{ExitCode: &exit35}
	blackhole := results.Prediction{Route: contract.RouteBlackhole, Cluster: results.BlackHoleCluster}
	suppressed := meshRoute(time.Millisecond)
	suppressed.Headers = &results.ResponseHeaders{ServerTransformation: "OVERWRITE", ServerName: "envoy"}
	istioDefault := meshRoute(time.Millisecond)
	istioDefault.Headers = &results.ResponseHeaders{ServerTransformation: "OVERWRITE", ServerName: "envoy", UpstreamServiceTime: true}
	fiveSeconds := &contract.Duration{Duration: 5 * time.Second}
	perTry := func(route, try time.Duration) results.Prediction {
		p := meshRoute(route)
		p.Retries = &results.PredictedRetries{Attempts: 3, PerTryTimeout: try}
		return p
	}
	direct502 := results.Prediction{Route: contract.RouteDirect, DirectStatus: 502, VirtualHost: "block_all"}
	cases := []struct {
		name       string
		expect     contract.Expect
		hostDelay  *contract.Duration
		prediction results.Prediction
		infeasible bool
	}{
		{"504 under 1s", envoy504, nil, meshRoute(999 * time.Millisecond), false},
		{"504 at 1s", envoy504, nil, meshRoute(time.Second), true},
		{"504 without timeout", envoy504, nil, meshRoute(0), true},
		{"200 at 10ms", ok200, nil, meshRoute(10 * time.Millisecond), false},
		{"200 under 10ms", ok200, nil, meshRoute(9 * time.Millisecond), true},
		{"200 without timeout", ok200, nil, meshRoute(0), false},
		{"from upstream under 10ms", fromHost, nil, meshRoute(time.Millisecond), true},
		{"504 not from envoy is the host's business", contract.Expect{Status: 504}, nil, meshRoute(0), false},
		{"from envoy on passthrough", envoy504, nil, results.Prediction{Route: contract.RoutePassthrough, Cluster: results.PassthroughCluster}, true},
		{"200 on passthrough", ok200, nil, results.Prediction{Route: contract.RoutePassthrough, Cluster: results.PassthroughCluster}, false},
		{"nothing matched", contract.Expect{Status: 200}, nil, results.Prediction{Route: results.RouteNone, Error: "no route matched"}, true},
		{"no answer expected from the blackhole", noAnswer, nil, blackhole, false},
		{"blackhole asserted alone", contract.Expect{Route: contract.RouteBlackhole}, nil, blackhole, false},
		{"200 from the blackhole", ok200, nil, blackhole, true},
		{"exit 0 from the blackhole", contract.Expect{ExitCode: &exit0}, nil, blackhole, true},
		{"no answer on a mesh route with a 1ms timeout", noAnswer, nil, meshRoute(time.Millisecond), true},
		{"no answer on a mesh route without timeout (a hung host)", noAnswer, nil, meshRoute(0), false},
		{"no answer on passthrough (the host's business)", noAnswer, nil, results.Prediction{Route: contract.RoutePassthrough, Cluster: results.PassthroughCluster}, false},
		{"from with envoy headers suppressed", envoy504, nil, suppressed, true},
		{"status alone with envoy headers suppressed", contract.Expect{Status: 504}, nil, suppressed, false},
		{"from with the router's service time header", envoy504, nil, istioDefault, false},
		// egress-control's test.sh: a 3s VirtualService timeout, httpbin.org/delay/5, 504.
		{"504 at 3s from a host that answers after 5s", envoy504, fiveSeconds, meshRoute(3 * time.Second), false},
		{"504 at 3s from a host assumed to answer within 1s", envoy504, nil, meshRoute(3 * time.Second), true},
		{"504 at 5s from a host that answers after 5s", envoy504, fiveSeconds, meshRoute(5 * time.Second), true},
		{"200 through a 3s timeout from a host that answers after 5s", ok200, fiveSeconds, meshRoute(3 * time.Second), true},
		{"200 without timeout from a host that answers after 5s", ok200, fiveSeconds, meshRoute(0), false},
		{"504 from the per-try timeout alone", envoy504, nil, perTry(0, time.Millisecond), false},
		{"504 from the per-try timeout under a long route timeout", envoy504, nil, perTry(10*time.Second, time.Millisecond), false},
		{"502 from a direct route", contract.Expect{Status: 502, From: contract.FromEnvoy}, nil, direct502, false},
		{"direct route asserted alone", contract.Expect{Route: contract.RouteDirect}, nil, direct502, false},
		{"200 from a direct 502", ok200, nil, direct502, true},
		{"from upstream on a direct route", fromHost, nil, direct502, true},
		{"no answer from a direct route", noAnswer, nil, direct502, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Verify(contract.Check{Expect: tc.expect, HostDelay: tc.hostDelay}, tc.prediction)
			assert.Equal(t, tc.infeasible, len(m) > 0, "%v", m)
		})
	}
}

func TestVerifyAbsentFieldsAreNotAsserted(t *testing.T) {
	assert.Empty(t, Verify(contract.Check{}, meshRoute(time.Millisecond)))
	attempts := 0
	m := Verify(contract.Check{Expect: contract.Expect{Retries: &contract.Retries{Attempts: &attempts}}}, meshRoute(0))
	assert.Empty(t, m, "zero attempts matches a route without a retry policy")
}

func TestMismatchMessage(t *testing.T) {
	tls := func(t contract.UpstreamTLS) contract.Check {
		return contract.Check{Expect: contract.Expect{Upstream: &contract.Upstream{TLS: &t}}}
	}
	m := Verify(tls(contract.UpstreamTLS{Mode: contract.TLSSimple}), results.Prediction{Route: contract.RouteMesh, TLSMode: contract.TLSDisable})
	if assert.Len(t, m, 1) {
		assert.Equal(t, "expect.upstream.tls.mode: expected SIMPLE, observed DISABLE", m[0].String())
	}
	// An SNI alone asks for origination in any mode: a MUTUAL cluster holds it.
	mutual := results.Prediction{Route: contract.RouteMesh, TLSMode: contract.TLSMutual, SNI: "edition.cnn.com", AutoSNI: true}
	assert.Empty(t, Verify(tls(contract.UpstreamTLS{SNI: "edition.cnn.com"}), mutual))
	m = Verify(tls(contract.UpstreamTLS{SNI: "edition.cnn.com"}), results.Prediction{Route: contract.RouteMesh, TLSMode: contract.TLSDisable})
	assert.Equal(t, []string{"expect.upstream.tls.mode: expected TLS origination (sni edition.cnn.com), observed DISABLE",
		"expect.upstream.tls.sni: expected edition.cnn.com, observed none"}, lines(m))
	m = Verify(contract.Check{Expect: contract.Expect{Status: 504, From: contract.FromEnvoy}}, meshRoute(3*time.Second))
	assert.Equal(t, []string{"expect.status: expected 504 from envoy, observed route mesh via cluster outbound|80||h, timeout 3s: " +
		"the route timeout 3s is too long to fire before the host answers (assumed within 1s: set the check's hostDelay if the host is slower)"}, lines(m))
}

func lines(m []Mismatch) []string {
	var out []string
	for _, x := range m {
		out = append(out, x.String())
	}
	return out
}

// TestGatewayMadeAnswers: from: gateway needs the request to reach the egress
// gateway over an HTTP route of its own; a 504 needs a gateway timeout that
// fires before the host answers and not after the sidecar's own.
func TestGatewayMadeAnswers(t *testing.T) {
	gateway504 := contract.Expect{Status: 504, From: contract.FromGateway}
	throughGateway := func(sidecar, gateway time.Duration) results.Prediction {
		p := meshRoute(sidecar)
		g := meshRoute(gateway)
		g.Listener, g.Headers = "0.0.0.0_80", &results.ResponseHeaders{ServerTransformation: "OVERWRITE", ServerName: "istio-envoy", UpstreamServiceTime: true}
		p.Gateway = &g
		return p
	}
	tcpAtGateway := meshRoute(0) // a TLS PASSTHROUGH server: the gateway's TCP proxy, no HTTP connection manager
	tcpAtGateway.Gateway = &results.Prediction{Listener: "0.0.0.0_443", Route: contract.RouteMesh, Cluster: "outbound|443||h"}
	noListener := meshRoute(0)
	noListener.Gateway = &results.Prediction{Route: results.RouteNone, Error: "no listener matched"}
	cases := []struct {
		name       string
		expect     contract.Expect
		prediction results.Prediction
		why        string
	}{
		{"the seed's timeout on the gateway's route", gateway504, throughGateway(0, time.Millisecond), ""},
		{"the sidecar's timeout is longer", gateway504, throughGateway(time.Second, time.Millisecond), ""},
		{"never reaches the gateway", gateway504, meshRoute(time.Millisecond), "the sidecar does not send the request to the scenario's egress gateway"},
		{"no timeout at the gateway", gateway504, throughGateway(0, 0), "the egress gateway's route has no timeout (route or per try), so the gateway cannot time out"},
		{"the gateway's timeout outlasts the host", gateway504, throughGateway(0, 2*time.Second), "the egress gateway's route timeout 2s is too long to fire before the host answers (assumed within 1s: set the check's hostDelay if the host is slower)"},
		{"the sidecar times out first", gateway504, throughGateway(time.Millisecond, 5*time.Millisecond), "the sidecar's route timeout 1ms fires before the egress gateway's route timeout 5ms: the 504 is the sidecar's (from: envoy)"},
		{"equal timeouts: the sidecar's timer started first", gateway504, throughGateway(time.Millisecond, time.Millisecond), "the sidecar's route timeout 1ms fires before the egress gateway's route timeout 1ms: the 504 is the sidecar's (from: envoy)"},
		{"a TCP proxy at the gateway never answers", contract.Expect{From: contract.FromGateway}, tcpAtGateway, "the egress gateway only proxies TCP for this request (no HTTP route of its own) and never answers itself"},
		{"no listener at the gateway", contract.Expect{From: contract.FromGateway}, noListener, "no listener of the egress gateway takes the request: the gateway refuses it, and the sidecar answers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Verify(contract.Check{Expect: tc.expect}, tc.prediction)
			if tc.why == "" {
				assert.Empty(t, m)
				return
			}
			if assert.Len(t, m, 1) {
				assert.Equal(t, tc.why, m[0].Why)
			}
		})
	}
}

func TestGatewayHopExpectationsNameTheirField(t *testing.T) {
	p := meshRoute(0)
	p.Gateway = &results.Prediction{Route: contract.RouteMesh, Cluster: "outbound|80||www.tetrate.io", TLSMode: contract.TLSDisable}
	check := contract.Check{Expect: contract.Expect{Gateway: &contract.Expect{Cluster: "outbound|443||www.tetrate.io", Upstream: &contract.Upstream{TLS: &contract.UpstreamTLS{Mode: contract.TLSSimple}}}}}
	assert.Equal(t, []string{"expect.gateway.cluster: expected outbound|443||www.tetrate.io, observed outbound|80||www.tetrate.io",
		"expect.gateway.upstream.tls.mode: expected SIMPLE, observed DISABLE"}, lines(Verify(check, p)))
	assert.Equal(t, []string{"expect.gateway: expected the request to reach the scenario's egress gateway, observed route mesh via cluster outbound|80||h, timeout none"},
		lines(Verify(check, meshRoute(0))))
}
