package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestConfigPathNamesTheObject reads the paths Istio writes for the kinds
// whose config reaches a route or cluster (pilot/pkg/networking/util/util.go,
// AddConfigInfoMetadata, with gvk.KebabKind).
func TestConfigPathNamesTheObject(t *testing.T) {
	ref, ok := ParseConfigPath("/apis/networking.istio.io/v1/namespaces/payments/virtual-service/api")
	assert.True(t, ok)
	assert.Equal(t, ConfigRef{Kind: "VirtualService", Namespace: "payments", Name: "api"}, ref)
	ref, ok = ParseConfigPath("/apis/networking.istio.io/v1alpha3/namespaces/istio-system/destination-rule/egressgateway-for-cnn")
	assert.True(t, ok)
	assert.Equal(t, "DestinationRule istio-system/egressgateway-for-cnn", ref.String())
	ref, _ = ParseConfigPath("/apis/networking.istio.io/v1/namespaces/a/service-entry/b")
	assert.Equal(t, "ServiceEntry", ref.Kind)
	ref, _ = ParseConfigPath("/apis/networking.istio.io/v1/namespaces/a/sidecar/b")
	assert.Equal(t, "Sidecar", ref.Kind)
	for _, bad := range []string{"/apis/networking.istio.io/v1/virtual-service/api", "", "apis/g/v/namespaces/a/k/n/", "/apis/g/v/namespaces//k/n"} {
		_, ok = ParseConfigPath(bad)
		assert.False(t, ok, bad)
	}
}

// FuzzConfigPath: any metadata string either names an object whose parts
// are taken from it, or nothing; never a panic.
func FuzzConfigPath(f *testing.F) {
	for _, seed := range []string{"/apis/networking.istio.io/v1/namespaces/ns/virtual-service/vs", "", "/", "/apis//v1/namespaces//x/", "/apis/g/v/namespaces/n/--/x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		ref, ok := ParseConfigPath(path)
		if ok && (ref.Namespace == "" || ref.Name == "" || !strings.Contains(path, "/namespaces/"+ref.Namespace+"/") || !strings.HasSuffix(path, "/"+ref.Name)) {
			t.Fatalf("%q read as %+v", path, ref)
		}
	})
}
