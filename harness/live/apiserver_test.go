package live

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"istio-egress-conformance/harness/apiserver"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// kindCorefile is the Corefile kind ships (abridged).
const kindCorefile = ".:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n    reload\n}\n"

// namespacesTerminate stands in for the namespace controller envtest does not
// run: a deleted namespace stays Terminating, so teardown's wait is cut short
// and its error checked for what it is.
func namespacesTerminate(t *testing.T) {
	old := namespaceDeleteTimeout
	namespaceDeleteTimeout = time.Second
	t.Cleanup(func() { namespaceDeleteTimeout = old })
}

func assertOnlyNamespaceWaitFailed(t *testing.T, err error, ns string) {
	t.Helper()
	if err != nil {
		assert.Contains(t, err.Error(), "namespace "+ns+" still terminating", "only the namespace wait may fail without a namespace controller")
	}
}

func seedScenario(t *testing.T) scenarios.Scenario {
	for _, e := range scenarios.Builtin() {
		if e.ID == "tetrate-https-egress" {
			return e.Scenario
		}
	}
	t.Fatal("seed scenario missing")
	return scenarios.Scenario{}
}

func testRun(t *testing.T) *Run {
	ca, err := workload.NewCA("envtest")
	require.NoError(t, err)
	return &Run{Cfg: config.Config{RunID: "envtest1", ClientImage: "curlimages/curl:8.11.1", ServerImage: "nginx:1.27.3-alpine"}, ca: ca}
}

func TestAgainstAPIServer(t *testing.T) {
	cfg := apiserver.Start(t).Config
	namespacesTerminate(t)
	ctx := context.Background()
	res := cfg.Client().Resources()

	t.Run("seed fixture applies verbatim and teardown removes only the run's objects", func(t *testing.T) {
		// Someone else's namespace and ServiceEntry, which must survive.
		foreignNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "foreign"}}
		require.NoError(t, res.Create(ctx, foreignNS))
		foreignSE := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Name: "tetrate", Namespace: "foreign"}}
		foreignSE.Spec.Hosts = []string{"www.tetrate.io"}
		foreignSE.Spec.Ports = nil
		require.NoError(t, res.Create(ctx, foreignSE))

		r, st, s := testRun(t), &scenarioState{}, seedScenario(t)
		require.NoError(t, r.applyScenario(ctx, cfg, s, st))
		require.Len(t, st.applied, 3)

		var vs networkingv1.VirtualService
		require.NoError(t, res.Get(ctx, "tetrate", "tetrate", &vs))
		assert.Equal(t, "envtest1", vs.Labels[config.RunIDLabel])
		assert.Equal(t, "w1", vs.Annotations["tsb.tetrate.io/workspace"])
		assert.Equal(t, "1ms", vs.Spec.Http[0].Timeout.AsDuration().String())
		var pod corev1.Pod
		require.NoError(t, res.Get(ctx, workload.ClientPodName, "tetrate", &pod))
		assert.Equal(t, workload.ClientApp, pod.Labels["app"])
		var ns corev1.Namespace
		require.NoError(t, res.Get(ctx, "tetrate", "", &ns))
		assert.Equal(t, "enabled", ns.Labels["istio-injection"])
		var secret corev1.Secret
		require.NoError(t, res.Get(ctx, workload.CASecretName, "tetrate", &secret))
		assert.Equal(t, r.ca.CertPEM, secret.Data["cacert"])

		assertOnlyNamespaceWaitFailed(t, r.teardownScenario(ctx, cfg, st), "tetrate")
		err := res.Get(ctx, "tetrate", "tetrate", &vs)
		assert.True(t, apierrors.IsNotFound(err), "the fixture is gone: %v", err)
		assert.NoError(t, res.Get(ctx, "tetrate", "foreign", &networkingv1.ServiceEntry{}), "a foreign ServiceEntry survives")
		assert.NoError(t, res.Get(ctx, "foreign", "", &corev1.Namespace{}), "a foreign namespace survives")
	})

	t.Run("a foreign namespace of the same name is a setup error, not an overwrite", func(t *testing.T) {
		require.NoError(t, res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "egress-other"}}))
		s := seedScenario(t)
		s.Client.Namespace = "egress-other"
		r, st := testRun(t), &scenarioState{}
		err := r.applyScenario(ctx, cfg, s, st)
		assert.EqualError(t, err, "Namespace /egress-other already exists and was not created by this run: remove it or use another cluster")
		assert.Empty(t, st.namespace, "teardown will not delete it")
	})

	t.Run("coredns override is restored exactly", func(t *testing.T) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: workload.CoreDNSConfigMap, Namespace: workload.CoreDNSNamespace},
			Data: map[string]string{workload.CorefileKey: kindCorefile}}
		require.NoError(t, res.Create(ctx, cm))
		r := testRun(t)
		r.serverIP = "10.244.0.7"
		require.NoError(t, r.overrideDNS(ctx, res, []string{"www.tetrate.io", "tetrate.io"}))
		require.NoError(t, res.Get(ctx, workload.CoreDNSConfigMap, workload.CoreDNSNamespace, cm))
		assert.Contains(t, cm.Data[workload.CorefileKey], "10.244.0.7 www.tetrate.io tetrate.io")
		assert.Equal(t, kindCorefile, cm.Annotations[workload.OriginalCorefileAnnotation])

		require.NoError(t, r.restoreDNS(ctx, cfg))
		require.NoError(t, res.Get(ctx, workload.CoreDNSConfigMap, workload.CoreDNSNamespace, cm))
		assert.Equal(t, kindCorefile, cm.Data[workload.CorefileKey])
		assert.NotContains(t, cm.Annotations, workload.OriginalCorefileAnnotation)
	})

	t.Run("hermetic server manifests are accepted", func(t *testing.T) {
		r := testRun(t)
		cert, key, err := r.ca.Issue("www.tetrate.io", "tetrate.io")
		require.NoError(t, err)
		objs := workload.ServerObjects(workload.ServerOptions{Image: r.Cfg.ServerImage, Labels: r.OwnerLabels(), Hosts: []string{"www.tetrate.io"}, CertPEM: cert, KeyPEM: key})
		require.NoError(t, createAll(ctx, res, objs))
		var pod corev1.Pod
		require.NoError(t, res.Get(ctx, workload.ServerPodName, workload.ServerNamespace, &pod))
		assert.Equal(t, "nginx:1.27.3-alpine", pod.Spec.Containers[0].Image)
		assert.Equal(t, corev1.PodPending, pod.Status.Phase, "no kubelet here")
	})

	t.Run("a cancelled setup leaves nothing behind", func(t *testing.T) {
		r, st, s := testRun(t), &scenarioState{}, seedScenario(t)
		s.Client.Namespace = "cancelled"
		cctx, cancel := context.WithCancel(ctx)
		require.NoError(t, r.applyScenario(cctx, cfg, scenarios.Scenario{Client: s.Client}, st), "namespace and client only")
		cancel()
		err := r.applyScenario(cctx, cfg, s, &scenarioState{})
		require.Error(t, err, "a cancelled context stops the setup")
		assertOnlyNamespaceWaitFailed(t, r.teardownScenario(cctx, cfg, st), "cancelled")
		var ns corev1.Namespace
		err = res.Get(ctx, "cancelled", "", &ns)
		gone := apierrors.IsNotFound(err) || ns.Status.Phase == corev1.NamespaceTerminating
		assert.True(t, gone, "the run's namespace is gone or going: %v", err)
	})
}
