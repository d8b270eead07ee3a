package snapshot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// object is one object as the API server serves it.
func object(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(doc), &m))
	return &unstructured.Unstructured{Object: m}
}

// TestReachesFollowsIstiosVisibility: each rule of reaches, for a client in
// namespace "client" (the rules' sources are on reaches).
func TestReachesFollowsIstiosVisibility(t *testing.T) {
	cases := []struct {
		doc  string
		want bool
	}{
		{"{apiVersion: networking.istio.io/v1, kind: ServiceEntry, metadata: {name: a, namespace: client}, spec: {exportTo: [.]}}", true},
		{"{apiVersion: networking.istio.io/v1, kind: ServiceEntry, metadata: {name: a, namespace: other}, spec: {}}", true},
		{"{apiVersion: networking.istio.io/v1, kind: ServiceEntry, metadata: {name: a, namespace: other}, spec: {exportTo: [.]}}", false},
		{"{apiVersion: networking.istio.io/v1, kind: VirtualService, metadata: {name: a, namespace: other}, spec: {exportTo: [client]}}", true},
		{"{apiVersion: networking.istio.io/v1, kind: VirtualService, metadata: {name: a, namespace: other}, spec: {exportTo: [third]}}", false},
		{"{apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: a, namespace: istio-system}, spec: {exportTo: [.]}}", false},
		{"{apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: a, namespace: other}, spec: {exportTo: ['*'], workloadSelector: {matchLabels: {app: x}}}}", false},
		{"{apiVersion: networking.istio.io/v1, kind: Sidecar, metadata: {name: a, namespace: istio-system}, spec: {}}", true},
		{"{apiVersion: networking.istio.io/v1, kind: Sidecar, metadata: {name: a, namespace: istio-system}, spec: {workloadSelector: {labels: {app: x}}}}", false},
		{"{apiVersion: networking.istio.io/v1, kind: Sidecar, metadata: {name: a, namespace: other}, spec: {}}", false},
		{"{apiVersion: networking.istio.io/v1, kind: Gateway, metadata: {name: a, namespace: other}, spec: {}}", false},
		{"{apiVersion: v1, kind: Service, metadata: {name: a, namespace: other}, spec: {}}", true},
		{"{apiVersion: v1, kind: Service, metadata: {name: a, namespace: other, annotations: {networking.istio.io/exportTo: 'other, client'}}, spec: {}}", true},
		{"{apiVersion: v1, kind: Service, metadata: {name: a, namespace: other, annotations: {networking.istio.io/exportTo: '.'}}, spec: {}}", false},
		{"{apiVersion: v1, kind: Secret, metadata: {name: a, namespace: other}}", false},
		{"{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: a, namespace: other}, spec: {parentRefs: [{kind: Service, name: s}]}}", true},
		{"{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: a, namespace: other}, spec: {parentRefs: [{kind: Service, name: s, namespace: third}]}}", false},
		{"{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: a, namespace: other}, spec: {parentRefs: [{name: gw, namespace: client}]}}", true},
		{"{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: a, namespace: other}, spec: {parentRefs: [{name: gw}]}}", false},
		{"{apiVersion: gateway.networking.k8s.io/v1beta1, kind: ReferenceGrant, metadata: {name: a, namespace: other}, spec: {from: [{namespace: client}]}}", true},
		{"{apiVersion: gateway.networking.k8s.io/v1beta1, kind: ReferenceGrant, metadata: {name: a, namespace: other}, spec: {from: [{namespace: third}]}}", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, reaches(object(t, c.doc), "client"), c.doc)
	}
	gateway := object(t, "{apiVersion: networking.istio.io/v1, kind: Gateway, metadata: {name: a, namespace: other}, spec: {}}")
	assert.True(t, configuresGateway(gateway, "istio-system"), "an Istio Gateway selects gateway pods in any namespace")
}
