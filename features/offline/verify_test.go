package offline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// The unit tests of harness/judge's verification live in this package's test
// binary, which links Istio's translation anyway: one Istio-sized link less
// per make test.

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
	cases := []struct {
		name       string
		expect     contract.Expect
		prediction results.Prediction
		infeasible bool
	}{
		{"504 under 1s", envoy504, meshRoute(999 * time.Millisecond), false},
		{"504 at 1s", envoy504, meshRoute(time.Second), true},
		{"504 without timeout", envoy504, meshRoute(0), true},
		{"200 at 10ms", ok200, meshRoute(10 * time.Millisecond), false},
		{"200 under 10ms", ok200, meshRoute(9 * time.Millisecond), true},
		{"200 without timeout", ok200, meshRoute(0), false},
		{"from upstream under 10ms", fromHost, meshRoute(time.Millisecond), true},
		{"504 not from envoy is the host's business", contract.Expect{Status: 504}, meshRoute(0), false},
		{"from envoy on passthrough", envoy504, results.Prediction{Route: contract.RoutePassthrough, Cluster: results.PassthroughCluster}, true},
		{"200 on passthrough", ok200, results.Prediction{Route: contract.RoutePassthrough, Cluster: results.PassthroughCluster}, false},
		{"nothing matched", contract.Expect{Status: 200}, results.Prediction{Route: results.RouteNone, Error: "no route matched"}, true},
		{"no answer expected from the blackhole", noAnswer, blackhole, false},
		{"blackhole asserted alone", contract.Expect{Route: contract.RouteBlackhole}, blackhole, false},
		{"200 from the blackhole", ok200, blackhole, true},
		{"exit 0 from the blackhole", contract.Expect{ExitCode: &exit0}, blackhole, true},
		{"no answer on a mesh route with a 1ms timeout", noAnswer, meshRoute(time.Millisecond), true},
		{"no answer on a mesh route without timeout (a hung host)", noAnswer, meshRoute(0), false},
		{"no answer on passthrough (the host's business)", noAnswer, results.Prediction{Route: contract.RoutePassthrough, Cluster: results.PassthroughCluster}, false},
		{"from with envoy headers suppressed", envoy504, suppressed, true},
		{"status alone with envoy headers suppressed", contract.Expect{Status: 504}, suppressed, false},
		{"from with the router's service time header", envoy504, istioDefault, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := judge.Verify(tc.expect, tc.prediction)
			assert.Equal(t, tc.infeasible, len(m) > 0, "%v", m)
		})
	}
}

func TestVerifyAbsentFieldsAreNotAsserted(t *testing.T) {
	assert.Empty(t, judge.Verify(contract.Expect{}, meshRoute(time.Millisecond)))
	attempts := 0
	m := judge.Verify(contract.Expect{Retries: &contract.Retries{Attempts: &attempts}}, meshRoute(0))
	assert.Empty(t, m, "zero attempts matches a route without a retry policy")
}

func TestMismatchMessage(t *testing.T) {
	m := judge.Verify(contract.Expect{Upstream: &contract.Upstream{TLS: &contract.UpstreamTLS{Mode: contract.TLSSimple}}}, results.Prediction{Route: contract.RouteMesh, TLSMode: contract.TLSDisable})
	if assert.Len(t, m, 1) {
		assert.Equal(t, "expect.upstream.tls.mode: expected SIMPLE, observed DISABLE", m[0].String())
	}
}
