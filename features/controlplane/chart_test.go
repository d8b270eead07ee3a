package controlplane

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/offline"
)

// TestChartMeshIsTheOfflineMesh: the mesh config istiod reads here is the
// one the pinned module's chart renders with the live tier's values, and the
// offline engine translates with that same text (harness/offline/chart-mesh.yaml).
// It must pass the live tier's own check for a pre-installed istiod (ALLOW_ANY).
func TestChartMeshIsTheOfflineMesh(t *testing.T) {
	_, mesh := need(t)
	var rendered string
	for _, o := range mesh.Rendered {
		if o.GetKind() == "ConfigMap" && o.GetName() == istio.MeshConfigMap {
			rendered, _, _ = unstructured.NestedString(o.Object, "data", istio.MeshConfigKey)
		}
	}
	require.NotEmpty(t, rendered, "the istiod chart renders ConfigMap %s/%s", istio.Namespace, istio.MeshConfigMap)
	assert.Equal(t, strings.TrimSpace(offline.ChartMesh), strings.TrimSpace(rendered), "update harness/offline/chart-mesh.yaml from the chart")
	assert.NoError(t, istio.CheckOutboundPolicy(rendered))
	assert.Contains(t, mesh.Skipped, "Deployment istiod", "istiod runs as a local process")
}
