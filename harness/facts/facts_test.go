package facts

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios"
)

// destinationRule sets TLS for all ports, per port, per subset and per port
// of a subset; ISTIO_MUTUAL (to an egress gateway) names no external host.
const destinationRule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tls-everywhere, namespace: tetrate}
spec:
  host: www.tetrate.io
  trafficPolicy:
    tls: {mode: SIMPLE, sni: all.example.com, credentialName: all-ca}
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: MUTUAL, sni: port.example.com, credentialName: port-ca}
  subsets:
  - name: a
    labels: {version: a}
    trafficPolicy:
      tls: {mode: SIMPLE, credentialName: subset-ca}
      portLevelSettings:
      - port: {number: 80}
        tls: {mode: ISTIO_MUTUAL, sni: gateway-sni.example.com}
      - port: {number: 8443}
        tls: {mode: SIMPLE, sni: subset.example.com, credentialName: subset-port-ca}
`

// TestOneWalkerCoversPortsAndSubsets: the hermetic server's certificate and
// the client's hostAliases need every SNI a DestinationRule originates TLS
// with, and the SDS checks every credentialName, for all ports, per port and
// per subset (the control-plane tier's own walker once skipped subsets).
func TestOneWalkerCoversPortsAndSubsets(t *testing.T) {
	file, err := fixture.Parse("tls-everywhere.yaml", []byte(destinationRule))
	require.NoError(t, err)
	s := scenarios.Scenario{
		Checks:   []scenarios.Check{{URL: "http://www.tetrate.io/headers"}, {URL: "https://www.tetrate.io"}},
		Resolved: []fixture.File{file},
	}
	f := Of(s)
	assert.Equal(t, []string{"all.example.com", "port.example.com", "subset.example.com"}, f.OriginatedSNIs)
	assert.Equal(t, []string{"all-ca", "port-ca", "subset-ca", "subset-port-ca"}, f.CredentialNames)
	assert.Equal(t, []string{"www.tetrate.io"}, f.CheckHosts)
	assert.Nil(t, f.Gateway)
	assert.Equal(t, []string{"www.tetrate.io", "all.example.com", "port.example.com", "subset.example.com"}, Hosts(s))
}

// TestEndpointHostsAreTheOnesEveryTierKnows: the egress gateway's Service
// (the tiers without a cluster model its EndpointSlice) and the Services the
// fixtures give endpoints themselves; not a Service whose pods would make
// its endpoints on a cluster.
func TestEndpointHostsAreTheOnesEveryTierKnows(t *testing.T) {
	file, err := fixture.Parse("services.yaml", []byte(`apiVersion: v1
kind: Service
metadata: {name: my-nginx, namespace: mesh-external}
spec:
  selector: {run: my-nginx}
  ports: [{name: https, port: 443}]
---
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: mesh-external}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: legacy-1, namespace: mesh-external, labels: {kubernetes.io/service-name: legacy}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.9]}]
ports: [{name: http, port: 8080}]
`))
	require.NoError(t, err)
	f := Of(scenarios.Scenario{EgressGateway: "istio-egressgateway", Resolved: []fixture.File{file}})
	assert.Equal(t, []string{"istio-egressgateway.istio-system.svc.cluster.local", "legacy.mesh-external.svc.cluster.local"}, f.EndpointHosts)
}
