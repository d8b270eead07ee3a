package curl

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/scenarios"
)

func captured(t *testing.T, name string) Result {
	out, err := os.ReadFile("testdata/" + name + ".out")
	require.NoError(t, err)
	r, err := Parse(out)
	require.NoError(t, err)
	return r
}

func TestJudgeSeedExpectations(t *testing.T) {
	seed504 := scenarios.Expect{Status: 504, From: scenarios.FromEnvoy, Route: scenarios.RouteMesh}
	seed200 := scenarios.Expect{Status: 200, Route: scenarios.RoutePassthrough}

	assert.Empty(t, Judge(seed504, captured(t, "http-504-envoy")))
	assert.Empty(t, Judge(seed200, captured(t, "https-200")))

	assert.Equal(t, []string{
		"status: expected 504, observed 200",
		`from: expected envoy, observed upstream (server: "Apache")`,
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
	assert.Equal(t, []string{"no HTTP response: curl exit 6 (Could not resolve host: www.tetrate.io): the host did not resolve: is the CoreDNS override (hermetic) or the cluster's DNS (internet) in place?"},
		Judge(seed200, Result{ExitCode: ExitResolve, ErrorMessage: "Could not resolve host: www.tetrate.io"}))
	assert.Equal(t, []string{"no HTTP response: curl exit 3 (URL using bad/illegal format or missing URL)"},
		Judge(seed200, Result{ExitCode: 3, ErrorMessage: "URL using bad/illegal format or missing URL"}), "no hint for the rare codes")

	control := scenarios.Expect{Status: 200, From: scenarios.FromUpstream, Route: scenarios.RouteMesh}
	assert.Empty(t, Judge(control, captured(t, "http-200-through-envoy-route")))
}
