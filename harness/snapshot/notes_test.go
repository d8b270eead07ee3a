package snapshot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/scenarios"
)

// TestNotesNameTheObjects: a check's note names the input objects behind
// its config, read from Istio's metadata: the seed's three; the Gateway API
// routes behind the VirtualServices Istio generates (an HTTPRoute's by the
// Envoy route's name, a TLSRoute's by the generated name), at the sidecar
// and at the egress gateway.
func TestNotesNameTheObjects(t *testing.T) {
	cases := []struct {
		scenario, url    string
		sidecar, gateway []string
	}{
		{"tetrate-https-egress", "http://www.tetrate.io",
			[]string{"VirtualService tetrate/tetrate", "DestinationRule tetrate/tetrate", "ServiceEntry tetrate/tetrate"}, nil},
		{"istio-doc-egress-gateway-http-gatewayapi", "http://edition.cnn.com",
			[]string{"HTTPRoute istio-doc-egress-gateway-api/direct-cnn-to-egress-gateway", "service cnn-egress-gateway-istio.istio-doc-egress-gateway-api.svc.cluster.local (istio-doc-egress-gateway-api)"},
			[]string{"HTTPRoute istio-doc-egress-gateway-api/forward-cnn-from-egress-gateway", "ServiceEntry istio-doc-egress-gateway-api/cnn"}},
		{"istio-doc-egress-gateway-https-gatewayapi", "https://edition.cnn.com",
			[]string{"TLSRoute istio-doc-egress-gateway-api-tls/direct-cnn-to-egress-gateway", "service cnn-egress-gateway-istio.istio-doc-egress-gateway-api-tls.svc.cluster.local (istio-doc-egress-gateway-api-tls)"}, nil},
	}
	for _, c := range cases {
		s, err := scenarios.BuiltinNamed(c.scenario)
		require.NoError(t, err)
		snap, err := snapshotOf(s)
		require.NoError(t, err)
		found := false
		for i, check := range snap.Scenario.Checks {
			if check.URL == c.url {
				found = true
				assert.Equal(t, c.sidecar, snap.Notes[i].Sidecar, c.scenario)
				if c.gateway != nil {
					assert.Equal(t, c.gateway, snap.Notes[i].Gateway, c.scenario)
				}
			}
		}
		assert.True(t, found, "%s: a check of %s", c.scenario, c.url)
	}
}
