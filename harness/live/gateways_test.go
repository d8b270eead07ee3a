package live

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestAnOldTLSRouteCRDIsRefused: istiod watches TLSRoute only from bundle
// v1.5.0 (Istio pkg/config/schema/gatewayapi/minimumversions.go); a cluster
// with an older or unannotated CRD would take the routes and ignore them.
func TestAnOldTLSRouteCRDIsRefused(t *testing.T) {
	withBundle := func(name, bundle string) *unstructured.Unstructured {
		u := crdNamed(name)
		if bundle != "" {
			u.SetAnnotations(map[string]string{"gateway.networking.k8s.io/bundle-version": bundle})
		}
		return u
	}
	assert.NoError(t, watchedByIstiod(withBundle("tlsroutes.gateway.networking.k8s.io", "v1.6.0")))
	assert.NoError(t, watchedByIstiod(withBundle("tlsroutes.gateway.networking.k8s.io", "v1.5.0-rc.1")), "istiod rounds a pre-release up")
	assert.EqualError(t, watchedByIstiod(withBundle("tlsroutes.gateway.networking.k8s.io", "v1.4.1")),
		`gateway api: the cluster's CRD tlsroutes.gateway.networking.k8s.io has gateway.networking.k8s.io/bundle-version="v1.4.1"; istiod ignores it below 1.5.0, so a scenario's objects of it would do nothing: upgrade the Gateway API CRDs (the run does not touch the cluster's own)`)
	assert.ErrorContains(t, watchedByIstiod(withBundle("tlsroutes.gateway.networking.k8s.io", "")), `bundle-version=""`)
	assert.NoError(t, watchedByIstiod(withBundle("httproutes.gateway.networking.k8s.io", "")), "HTTPRoute is not gated")
}
