package live

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"istio-egress-conformance/harness/apiserver"
	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/config"
)

// TestSweepRemovesAKilledRunsLeftovers runs `make sweep`'s path, the suite
// with E2E_SWEEP, against a real API server and the pinned helm: what the
// swept run labelled goes, what another run labelled stays, and no test runs.
func TestSweepRemovesAKilledRunsLeftovers(t *testing.T) {
	t.Parallel() // an API server of its own
	srv := apiserver.Start(t)
	ctx := context.Background()
	res := srv.Config.Client().Resources()
	// Leftovers in a namespace the runs did not create (a sweep deleting
	// namespaces would wait for a namespace controller envtest does not have).
	serviceEntry := func(name, runID string) *networkingv1.ServiceEntry {
		se := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: apply.Owner(runID, "tetrate-https-egress")}}
		se.Spec.Hosts = []string{"www.tetrate.io"}
		require.NoError(t, res.Create(ctx, se))
		return se
	}
	leftover, another := serviceEntry("tetrate", "5eed0003"), serviceEntry("another", "0c0c0c0c")
	// Helm's record of a release the run installed: a Secret with the
	// install's --labels, the run id, and no scenario. The fixtures' delete
	// must leave it to helm uninstall.
	release := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.istio-egressgateway.v1", Namespace: "default",
		Labels: map[string]string{config.RunIDLabel: "5eed0003", "owner": "helm"}}}
	require.NoError(t, res.Create(ctx, release))

	out, err := rerun(t, []string{"E2E_SWEEP=5eed0003", "KUBECONFIG=" + srv.Kubeconfig, "ARTIFACTS=" + t.TempDir()})
	require.NoError(t, err, out)
	assert.Contains(t, out, "live tier: sweep of run 5eed0003 from the cluster in "+srv.Kubeconfig)
	assert.Regexp(t, `<== sweep: delete .*RoleBinding, Role, .*Secret, .*ServiceEntry, Sidecar labelled egress-conformance.io/run-id=5eed0003,egress-conformance.io/scenario: done`, out)
	assert.Contains(t, out, "<== sweep: delete the Gateway API CRDs labelled egress-conformance.io/run-id=5eed0003 that hold no other run's objects: done")
	assert.Contains(t, out, "<== sweep: helm uninstall the releases labelled egress-conformance.io/run-id=5eed0003: done")
	assert.NotContains(t, out, "=== RUN", "a sweep runs no test")

	err = res.Get(ctx, leftover.Name, leftover.Namespace, &networkingv1.ServiceEntry{})
	assert.True(t, apierrors.IsNotFound(err), "the swept run's ServiceEntry is gone: %v", err)
	assert.NoError(t, res.Get(ctx, another.Name, another.Namespace, &networkingv1.ServiceEntry{}), "another run's stays")
	assert.NoError(t, res.Get(ctx, release.Name, release.Namespace, &corev1.Secret{}), "helm's release record is not a fixture")
	assert.NoError(t, res.Get(ctx, "default", "", &corev1.Namespace{}))
}
