package judge

import (
	"fmt"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"istio-egress-conformance/scenarios/contract"
)

// upstreamTLS reports whether the cluster originates TLS and with which SNI.
func upstreamTLS(cl *cluster.Cluster) (mode, sni string, err error) {
	ctx, err := UpstreamTLSContext(cl)
	switch {
	case err != nil:
		return "", "", err
	case ctx == nil:
		return contract.TLSDisable, "", nil
	}
	return contract.TLSSimple, ctx.GetSni(), nil
}

// UpstreamTLSContext is the TLS the cluster originates towards its upstream:
// its transport socket, or its first TLS transport socket match; nil when it
// originates none.
func UpstreamTLSContext(cl *cluster.Cluster) (*tlsv3.UpstreamTlsContext, error) {
	ts := cl.GetTransportSocket()
	if ts == nil {
		// Istio puts auto-mTLS behind transport socket matches; an external
		// host has none, but read the first TLS match rather than guess.
		for _, m := range cl.GetTransportSocketMatches() {
			if isTLS(m.GetTransportSocket()) {
				ts = m.GetTransportSocket()
				break
			}
		}
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

func isTLS(ts *core.TransportSocket) bool {
	return ts != nil && ts.GetName() == "envoy.transport_sockets.tls"
}
