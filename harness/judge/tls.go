package judge

import (
	"fmt"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"istio-egress-conformance/scenarios/contract"
)

// upstreamTLS is the TLS the cluster originates, as the prediction states
// it. The mode comes from the client certificate the context presents
// (Istio pilot/pkg/networking/core/cluster_tls.go, buildUpstreamClusterTLSContext):
// none for SIMPLE; the workload's own ("default" SDS secret, verified with
// "ROOTCA") for ISTIO_MUTUAL; any other (file-cert:..., kubernetes://<credentialName>)
// for MUTUAL. The SNI is the static one, or, under Envoy's auto_sni, the
// request's Host (sniHost: sniFromHost).
func upstreamTLS(cl *cluster.Cluster, sniHost string) (tls upstreamTLSPrediction, err error) {
	ctx, err := UpstreamTLSContext(cl)
	switch {
	case err != nil:
		return tls, err
	case ctx == nil:
		return upstreamTLSPrediction{mode: contract.TLSDisable}, nil
	}
	tls = upstreamTLSPrediction{mode: tlsMode(ctx.GetCommonTlsContext()), sni: ctx.GetSni()}
	opts, err := httpProtocolOptions(cl)
	if err != nil {
		return tls, err
	}
	// Istio sets auto_sni when the DestinationRule names no sni, and
	// auto_san_validation when it also names no subjectAltNames
	// (cluster_tls.go, setAutoSniAndAutoSanValidation; cluster_builder_test.go
	// tests it). Envoy then takes the SNI from the request's host/authority
	// header, unless a static one is set (envoy config/core/v3/protocol.proto,
	// UpstreamHttpProtocolOptions.auto_sni).
	tls.autoSNI = opts.GetUpstreamHttpProtocolOptions().GetAutoSni()
	tls.autoSAN = opts.GetUpstreamHttpProtocolOptions().GetAutoSanValidation()
	if tls.sni == "" && tls.autoSNI {
		tls.sni = sniHost
	}
	return tls, nil
}

// upstreamTLSPrediction is the part of a prediction upstreamTLS fills in.
type upstreamTLSPrediction struct {
	mode, sni        string
	autoSNI, autoSAN bool
}

// Names Istio gives the SDS secrets of its own workload certificate and root
// (Istio pkg/model/authentication.go, SDSDefaultResourceName and SDSRootResourceName).
const (
	istioWorkloadSecret = "default"
	istioRootSecret     = "ROOTCA"
)

// tlsMode tells SIMPLE, MUTUAL and ISTIO_MUTUAL apart by the client
// certificate the context presents.
func tlsMode(c *tlsv3.CommonTlsContext) string {
	certs := c.GetTlsCertificateSdsSecretConfigs()
	if len(certs) == 0 && len(c.GetTlsCertificates()) == 0 {
		return contract.TLSSimple
	}
	root := c.GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName()
	if len(certs) == 1 && certs[0].GetName() == istioWorkloadSecret && root == istioRootSecret {
		return contract.TLSIstioMutual
	}
	return contract.TLSMutual
}

// httpProtocolOptionsName is the key of the cluster's upstream HTTP options,
// where Istio puts auto_sni (cluster_builder.go, clusterWrapper.build).
const httpProtocolOptionsName = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// httpProtocolOptions are the cluster's upstream HTTP options; nil without them.
func httpProtocolOptions(cl *cluster.Cluster) (*httpv3.HttpProtocolOptions, error) {
	a := cl.GetTypedExtensionProtocolOptions()[httpProtocolOptionsName]
	if a == nil {
		return nil, nil
	}
	opts := &httpv3.HttpProtocolOptions{}
	if err := a.UnmarshalTo(opts); err != nil {
		return nil, fmt.Errorf("cluster %s: unreadable %s: %v", cl.GetName(), httpProtocolOptionsName, err)
	}
	return opts, nil
}

// UpstreamTLSContext is the TLS the cluster originates towards its upstream:
// its transport socket, or its first TLS transport socket match; nil when it
// originates none.
func UpstreamTLSContext(cl *cluster.Cluster) (*tlsv3.UpstreamTlsContext, error) {
	ts := cl.GetTransportSocket()
	if ts == nil {
		ts = matchedTransportSocket(cl)
	}
	if !isTLS(ts) {
		return nil, nil
	}
	ctx := &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
		return nil, fmt.Errorf("cluster %s: unreadable UpstreamTlsContext: %v", cl.GetName(), err)
	}
	return ctx, nil
}

// matchedTransportSocket is the transport socket Envoy picks among the
// cluster's transport_socket_matches for its endpoints: the first match whose
// criteria all appear in the endpoint's envoy.transport_socket_match metadata
// (envoy config/cluster/v3/cluster.proto, transport_socket_matches). Istio
// writes such matches for auto-detected mTLS only: tlsMode-istio
// ({tlsMode: istio}, ISTIO_MUTUAL) then tlsMode-disabled ({}, plain text)
// (pilot/pkg/networking/core/cluster_tls.go, applyUpstreamTLSSettings), and
// puts tlsMode on an endpoint only when its pod carries the
// security.istio.io/tlsMode label (pilot/pkg/networking/util/util.go,
// AppendLbEndpointMetadata), which the sidecar injection template sets and
// the gateway chart's pods do not have. The endpoints of an EDS cluster are
// not in the config read here: they are taken as egress upstreams are (an
// egress gateway's pods, a server outside the mesh), without the label. So
// the sidecar talks plain text to an egress gateway unless a DestinationRule
// sets TLS, as Istio's egress-gateway task says.
func matchedTransportSocket(cl *cluster.Cluster) *core.TransportSocket {
	var metadata map[string]*structpb.Value
	if eps := cl.GetLoadAssignment().GetEndpoints(); len(eps) > 0 && len(eps[0].GetLbEndpoints()) > 0 {
		metadata = eps[0].GetLbEndpoints()[0].GetMetadata().GetFilterMetadata()["envoy.transport_socket_match"].GetFields()
	}
	for _, m := range cl.GetTransportSocketMatches() {
		matches := true
		for k, v := range m.GetMatch().GetFields() {
			if got, ok := metadata[k]; !ok || !proto.Equal(got, v) {
				matches = false
			}
		}
		if matches {
			return m.GetTransportSocket()
		}
	}
	return nil
}

func isTLS(ts *core.TransportSocket) bool {
	return ts != nil && ts.GetName() == "envoy.transport_sockets.tls"
}
