package controlplane

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"istio-egress-conformance/harness/workload"
)

// TestInjectionOnlyWhereEnabled creates the live tier's client pod manifest
// twice through the API server: in a namespace labelled istio-injection=enabled
// istiod's webhook injects it (native sidecar or not, the live tier's own
// detection sees it); in a namespace without the label it is left alone.
func TestInjectionOnlyWhereEnabled(t *testing.T) {
	srv, _ := need(t)
	ctx := context.Background()
	res := srv.Config.Client().Resources()
	runID, _ := nextRun()
	for _, tc := range []struct {
		namespace string
		enabled   bool
	}{{"injected-" + runID, true}, {"plain-" + runID, false}} {
		objs := workload.ClientObjects(workload.ClientOptions{Namespace: tc.namespace, Image: "curlimages/curl:8.11.1"})
		if !tc.enabled {
			objs[0] = workload.PlainNamespace(tc.namespace, nil)
		}
		for _, o := range objs {
			require.NoError(t, res.Create(ctx, o))
		}
		var pod corev1.Pod
		require.NoError(t, res.Get(ctx, workload.ClientPodName, tc.namespace, &pod))
		assert.Equal(t, tc.enabled, workload.HasSidecar(&pod), "namespace %s", tc.namespace)
	}
}
