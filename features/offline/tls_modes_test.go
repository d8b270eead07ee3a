package offline

import (
	"testing"
	"testing/fstest"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"istio.io/istio/pilot/pkg/util/protoconv"

	"istio-egress-conformance/harness/judge"
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

// TestAutoMTLSFollowsTheEndpoints: Istio's auto-detected mTLS is a pair of
// transport socket matches (cluster_tls.go applyUpstreamTLSSettings); Envoy
// takes the first whose criteria the endpoint's metadata holds. An endpoint
// whose pod has Istio's tlsMode label gets ISTIO_MUTUAL; one without (an
// egress gateway's pod, a server outside the mesh) plain text.
func TestAutoMTLSFollowsTheEndpoints(t *testing.T) {
	mtls := &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: "default"}}}}
	auto := &cluster.Cluster{Name: "outbound|80||istio-egressgateway.istio-system.svc.cluster.local", TransportSocketMatches: []*cluster.Cluster_TransportSocketMatch{
		{Name: "tlsMode-istio", Match: &structpb.Struct{Fields: map[string]*structpb.Value{"tlsMode": structpb.NewStringValue("istio")}},
			TransportSocket: &core.TransportSocket{Name: "envoy.transport_sockets.tls", ConfigType: &core.TransportSocket_TypedConfig{TypedConfig: protoconv.MessageToAny(mtls)}}},
		{Name: "tlsMode-disabled", Match: &structpb.Struct{}, TransportSocket: &core.TransportSocket{Name: "envoy.transport_sockets.raw_buffer"}},
	}}
	ctx, err := judge.UpstreamTLSContext(auto)
	require.NoError(t, err)
	assert.Nil(t, ctx, "EDS endpoints, unseen here, are taken as an egress gateway's: no tlsMode label, plain text")

	withLabel := proto.Clone(auto).(*cluster.Cluster)
	withLabel.LoadAssignment = &endpoint.ClusterLoadAssignment{Endpoints: []*endpoint.LocalityLbEndpoints{{LbEndpoints: []*endpoint.LbEndpoint{{
		Metadata: &core.Metadata{FilterMetadata: map[string]*structpb.Struct{"envoy.transport_socket_match": {Fields: map[string]*structpb.Value{"tlsMode": structpb.NewStringValue("istio")}}}}}}}}}
	ctx, err = judge.UpstreamTLSContext(withLabel)
	require.NoError(t, err)
	require.NotNil(t, ctx)
	assert.Equal(t, "default", ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs()[0].GetName(), "an endpoint with tlsMode: istio gets Istio's mTLS")
}
