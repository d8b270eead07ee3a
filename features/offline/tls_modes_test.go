package offline

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

// TestTLSModesAreToldApart: the prediction reads the origination mode from
// the client certificate Istio's translation gives the cluster
// (cluster_tls.go buildUpstreamClusterTLSContext): none for SIMPLE, files or
// a credentialName for MUTUAL, the workload's own ("default", verified with
// "ROOTCA") for ISTIO_MUTUAL. Only SIMPLE and MUTUAL get auto_sni when the
// rule names no sni (setAutoSniAndAutoSanValidation).
func TestTLSModesAreToldApart(t *testing.T) {
	dir := fstest.MapFS{
		"modes.yaml": {Data: []byte(`name: modes
fixtures: [objects.yaml]
client: {namespace: modes}
checks:
  - {name: simple, url: "http://simple.example.com"}
  - {name: mutual, url: "http://mutual.example.com"}
  - {name: istio-mutual, url: "http://istio.example.com"}
`)},
		"objects.yaml": {Data: []byte(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: hosts, namespace: modes}
spec:
  hosts: [simple.example.com, mutual.example.com, istio.example.com]
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 443}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: simple, namespace: modes}
spec: {host: simple.example.com, trafficPolicy: {tls: {mode: SIMPLE}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mutual, namespace: modes}
spec:
  host: mutual.example.com
  trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: /etc/certs/cert.pem, privateKey: /etc/certs/key.pem, caCertificates: /etc/certs/ca.pem}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: istio, namespace: modes}
spec: {host: istio.example.com, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
`)},
	}
	entries, err := scenarios.Load(dir, "modes")
	require.NoError(t, err)
	require.NoError(t, entries[0].Err)
	p, err := offline.Predict(entries[0].Scenario)
	require.NoError(t, err)
	require.Len(t, p, 3)
	assert.Equal(t, contract.TLSSimple, p[0].TLSMode)
	assert.Equal(t, "simple.example.com", p[0].SNI, "auto_sni: the Host")
	assert.True(t, p[0].AutoSNI)
	assert.True(t, p[0].AutoSANValidation, "no subjectAltNames either")
	assert.Equal(t, contract.TLSMutual, p[1].TLSMode)
	assert.Equal(t, "mutual.example.com", p[1].SNI)
	assert.Equal(t, contract.TLSIstioMutual, p[2].TLSMode)
	assert.False(t, p[2].AutoSNI, "ISTIO_MUTUAL has no auto_sni outside dynamic forward proxy clusters")
}
