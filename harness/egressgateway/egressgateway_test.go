package egressgateway

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios"
)

// TestOfFindsTheGatewayAPIGatewayAtAnyVersion: a Gateway written at v1beta1
// (the older istio.io snips) is the same Gateway API gateway, deployed by
// istiod, not a chart release of that name.
func TestOfFindsTheGatewayAPIGatewayAtAnyVersion(t *testing.T) {
	s, err := scenarios.BuiltinNamed("istio-doc-egress-gateway-http-gatewayapi")
	require.NoError(t, err)
	g, ok := Of(s)
	require.True(t, ok)
	require.True(t, g.Managed())
	assert.Equal(t, "cnn-egress-gateway-istio.istio-doc-egress-gateway-api.svc.cluster.local", g.Host())

	v1beta1 := `apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {name: cnn-egress-gateway, namespace: istio-doc-egress-gateway-api}
spec:
  gatewayClassName: istio
  listeners: [{name: http, hostname: edition.cnn.com, port: 80, protocol: HTTP}]
`
	f, err := fixture.Parse("gw.yaml", []byte(v1beta1))
	require.NoError(t, err)
	s.Resolved = []fixture.File{f}
	g, ok = Of(s)
	require.True(t, ok)
	require.True(t, g.Managed(), "a v1beta1 Gateway is istiod's to deploy")
	assert.Equal(t, "cnn-egress-gateway-istio", g.ServiceName())

	s.Resolved = []fixture.File{{Name: "none.yaml"}}
	g, _ = Of(s)
	assert.False(t, g.Managed(), "no Gateway API Gateway of that name: the chart's")
	assert.Equal(t, "cnn-egress-gateway", g.ServiceName())
}

// TestManagedPortsAreIstios: one port per listener port, named after its
// first listener, dots to dashes, clashes resolved as Istio's
// extractServicePorts does.
func TestManagedPortsAreIstios(t *testing.T) {
	gw := `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: egress}
spec:
  gatewayClassName: istio
  listeners:
  - {name: a.b, port: 80, protocol: HTTP}
  - {name: again, port: 80, protocol: HTTP}
  - {name: a-b, port: 443, protocol: TLS, tls: {mode: Passthrough}}
`
	f, err := fixture.Parse("gw.yaml", []byte(gw))
	require.NoError(t, err)
	s := scenarios.Scenario{EgressGateway: "egress/gw", Resolved: []fixture.File{f}}
	g, ok := Of(s)
	require.True(t, ok)
	var ports []string
	for _, p := range g.Service().Spec.Ports {
		ports = append(ports, p.Name+"/"+*p.AppProtocol)
	}
	assert.Equal(t, "status-port/tcp a-b/http a-b-443/tls", strings.Join(ports, " "))
}

// TestIstiodsNameOverrides: istiod names what it deploys after the Gateway's
// gateway.istio.io/name-override and gateway.istio.io/service-account
// annotations when they are set (deploymentcontroller.go).
func TestIstiodsNameOverrides(t *testing.T) {
	gw := `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: egress
  annotations: {gateway.istio.io/name-override: egress-proxy, gateway.istio.io/service-account: egress-sa}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
`
	f, err := fixture.Parse("gw.yaml", []byte(gw))
	require.NoError(t, err)
	g, _ := Of(scenarios.Scenario{EgressGateway: "egress/gw", Resolved: []fixture.File{f}})
	assert.Equal(t, "egress-proxy", g.ServiceName())
	assert.Equal(t, "egress-proxy.egress.svc.cluster.local", g.Host())
	assert.Equal(t, "egress-sa", g.ServiceAccount())
	assert.Equal(t, "egress-proxy", g.PodLabels()["service.istio.io/canonical-name"])
}
