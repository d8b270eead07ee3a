package curl

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/scenarios/contract"
)

func captured(t *testing.T, name string) Result {
	out, err := os.ReadFile("testdata/" + name + ".out")
	require.NoError(t, err)
	r, err := Parse(out)
	require.NoError(t, err)
	return r
}

// TestJudgeRedirect: a redirect the sidecar answers itself is judged by its
// status, its Location, and the envoy-made headers.
func TestJudgeRedirect(t *testing.T) {
	redirect := captured(t, "http-302-envoy-redirect")
	want := contract.Expect{Status: 302, From: contract.FromEnvoy, Route: contract.RouteRedirect, Location: "http://httpbin.org/new?x=1"}
	assert.Empty(t, Judge(want, redirect))
	want.Location = "http://httpbin.org/elsewhere"
	assert.Equal(t, []string{"location: expected http://httpbin.org/elsewhere, observed http://httpbin.org/new?x=1"}, Judge(want, redirect))
	assert.Equal(t, []string{"location: expected http://httpbin.org/new?x=1, observed none", "route: expected redirect, observed passthrough (envoy-made headers absent)"},
		Judge(contract.Expect{Route: contract.RouteRedirect, Location: "http://httpbin.org/new?x=1"}, captured(t, "http-200")))
}

func TestJudgeSeedExpectations(t *testing.T) {
	seed504 := contract.Expect{Status: 504, From: contract.FromEnvoy, Route: contract.RouteMesh}
	seed200 := contract.Expect{Status: 200, Route: contract.RoutePassthrough}

	assert.Empty(t, Judge(seed504, captured(t, "http-504-envoy")))
	assert.Empty(t, Judge(seed200, captured(t, "https-200")))

	assert.Equal(t, []string{
		"status: expected 504, observed 200",
		`from: expected envoy, observed upstream (server: "Apache", x-envoy-upstream-service-time absent, x-egress-conformance-server absent)`,
		"route: expected mesh, observed passthrough (envoy-made headers absent)",
	}, Judge(seed504, captured(t, "http-200")))
	assert.Equal(t, []string{
		"status: expected 200, observed 504",
		"route: expected passthrough, observed mesh (envoy-made headers present)",
	}, Judge(seed200, captured(t, "http-504-envoy")))
	assert.Equal(t, []string{"no HTTP response: curl exit 28 (" + captured(t, "timeout-28").ErrorMessage + "): no answer in time"},
		Judge(seed504, captured(t, "timeout-28")))
	assert.Equal(t, []string{"no HTTP response: curl exit 35 (" + captured(t, "tls-error-35").ErrorMessage + "): the TLS handshake failed"},
		Judge(seed200, captured(t, "tls-error-35")))
	assert.Equal(t, []string{"no HTTP response: curl exit 6 (Could not resolve host: www.tetrate.io): the host did not resolve: does the client pod's hostAliases (hermetic) or the cluster's DNS (internet) know it?"},
		Judge(seed200, Result{ExitCode: ExitResolve, ErrorMessage: "Could not resolve host: www.tetrate.io"}))
	assert.Equal(t, []string{"no HTTP response: curl exit 3 (URL using bad/illegal format or missing URL)"},
		Judge(seed200, Result{ExitCode: 3, ErrorMessage: "URL using bad/illegal format or missing URL"}), "no hint for the rare codes")

	control := contract.Expect{Status: 200, From: contract.FromUpstream, Route: contract.RouteMesh}
	assert.Empty(t, Judge(control, captured(t, "http-200-through-envoy-route")))
}

// TestJudgeUpstreamThroughMeshRoute: Istio's outbound HCM overwrites Server
// with "envoy" on every mesh-routed answer (pilot/pkg/networking/util/proxy_headers.go),
// so the control's 200 from the host arrives as server: envoy. The router's
// service time header, or the hermetic host's own header, says it came from upstream.
func TestJudgeUpstreamThroughMeshRoute(t *testing.T) {
	control := contract.Expect{Status: 200, From: contract.FromUpstream, Route: contract.RouteMesh}
	upstream := captured(t, "http-200-upstream-via-mesh-route")
	assert.Empty(t, Judge(control, upstream))
	assert.Equal(t, contract.FromUpstream, upstream.From())

	internet := upstream // the real host sends no hermetic header; the router's mark is enough
	internet.Headers = upstream.Headers.Clone()
	internet.Headers.Del(HermeticServerHeader)
	assert.Empty(t, Judge(control, internet))

	hermeticOnly := upstream // a mesh that suppresses envoy headers: the host's own header still proves upstream
	hermeticOnly.Headers = upstream.Headers.Clone()
	hermeticOnly.Headers.Del(UpstreamServiceTimeHeader)
	assert.Equal(t, contract.FromUpstream, hermeticOnly.From())

	seed504 := contract.Expect{Status: 504, From: contract.FromEnvoy, Route: contract.RouteMesh}
	assert.Equal(t, []string{
		"status: expected 504, observed 200",
		`from: expected envoy, observed upstream (server: "envoy", x-envoy-upstream-service-time present, x-egress-conformance-server present)`,
	}, Judge(seed504, upstream))
	assert.Equal(t, contract.FromEnvoy, captured(t, "http-504-envoy").From(), "the seed's 504 is still the sidecar's")
}

func TestJudgeNoResponse(t *testing.T) {
	exit35 := 35
	blackhole := contract.Expect{Route: contract.RouteBlackhole, ExitCode: &exit35}
	assert.Empty(t, Judge(blackhole, captured(t, "https-blackhole-35")))
	assert.Empty(t, Judge(contract.Expect{Route: contract.RouteBlackhole}, captured(t, "timeout-28")), "blackhole alone asks for no answer, whatever the code")
	assert.Equal(t, []string{"exitCode: expected 35, observed curl exit 28 (" + captured(t, "timeout-28").ErrorMessage + "): no answer in time"},
		Judge(blackhole, captured(t, "timeout-28")))
	assert.Regexp(t, `^exitCode: expected no HTTP response, observed 200 `, Judge(blackhole, captured(t, "https-200"))[0])
	assert.Regexp(t, `^route: expected no HTTP response, observed 200 `, Judge(contract.Expect{Route: contract.RouteBlackhole}, captured(t, "https-200"))[0])
	assert.Equal(t, "none", captured(t, "https-blackhole-35").From())
}

// TestJudgeDirectResponse: REGISTRY_ONLY's block_all answers plain HTTP to an
// unknown host with a 502 the sidecar makes itself (Istio httproute.go,
// buildCatchAllVirtualHost; tests/integration/telemetry/policy/traffic_registry_only_test.go
// expects 502). The capture stands in for it: a local server answering as
// Envoy's direct_response does (server: envoy, no service time, no body), to
// the harness's own curl command line.
func TestJudgeDirectResponse(t *testing.T) {
	direct := captured(t, "http-502-envoy-direct")
	blocked := contract.Expect{Status: 502, From: contract.FromEnvoy, Route: contract.RouteDirect}
	assert.Empty(t, Judge(blocked, direct))
	assert.Equal(t, []string{
		"status: expected 502, observed 200",
		`from: expected envoy, observed upstream (server: "envoy", x-envoy-upstream-service-time present, x-egress-conformance-server present)`,
		"route: expected direct, observed mesh (envoy-made headers present)",
	}, Judge(blocked, captured(t, "http-200-upstream-via-mesh-route")))
}

// TestGatewayAnswerInHermeticMode: through an egress gateway to the hermetic
// host, the sidecar marks the gateway's own answer (its route timeout's 504)
// with its router's service time, as it marks the host's; only the host's own
// header tells them apart.
func TestGatewayAnswerInHermeticMode(t *testing.T) {
	viaGateway := Observer{HermeticGateway: true}
	hostAnswer := captured(t, "http-200-upstream-via-mesh-route") // the hermetic host's, relayed
	assert.Equal(t, contract.FromUpstream, viaGateway.From(hostAnswer))

	gatewayAnswer := hostAnswer
	gatewayAnswer.Status = 504
	gatewayAnswer.Headers = hostAnswer.Headers.Clone()
	gatewayAnswer.Headers.Del(HermeticServerHeader)
	assert.Equal(t, contract.FromGateway, viaGateway.From(gatewayAnswer))
	assert.Equal(t, contract.FromGateway, viaGateway.Answer(gatewayAnswer).From, "the report says so too")
	assert.Equal(t, contract.FromUpstream, Observer{}.From(gatewayAnswer), "without the hermetic host's stamp, nothing tells")

	expectGateway := contract.Expect{Status: 504, From: contract.FromGateway, Route: contract.RouteMesh}
	assert.Empty(t, viaGateway.Judge(expectGateway, gatewayAnswer))
	assert.Equal(t, []string{
		"status: expected 504, observed 200",
		`from: expected gateway, observed upstream (server: "envoy", x-envoy-upstream-service-time present, x-egress-conformance-server present)`,
	}, viaGateway.Judge(expectGateway, hostAnswer))
	assert.Equal(t, contract.FromEnvoy, viaGateway.From(captured(t, "http-504-envoy")), "the sidecar's own 504 stays the sidecar's")
}
