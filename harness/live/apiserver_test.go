package live

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"istio-egress-conformance/harness/apiserver"
	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// namespacesTerminate stands in for the namespace controller envtest does not
// run: a deleted namespace stays Terminating with its objects, so teardown's
// wait is cut short and its error checked for what it is. It also means that
// a namespace name cannot be used twice: each subtest has its own run id and,
// through E2E_UNIQUE_NAMESPACES, its own namespaces.
func namespacesTerminate(t *testing.T) {
	old := namespaceDeleteTimeout
	namespaceDeleteTimeout = 200 * time.Millisecond // never met: envtest has no namespace controller
	t.Cleanup(func() { namespaceDeleteTimeout = old })
}

func assertOnlyNamespaceWaitFailed(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		assert.Regexp(t, `(^|: )namespaces [a-z0-9-, ]+ still terminating after 200ms: context deadline exceeded$`, err.Error(), "only the namespace wait may fail without a namespace controller")
	}
}

// assertGoing checks that a namespace is deleted or being deleted.
func assertGoing(t *testing.T, res *resources.Resources, name string) {
	t.Helper()
	var ns corev1.Namespace
	err := res.Get(context.Background(), name, "", &ns)
	assert.True(t, apierrors.IsNotFound(err) || ns.DeletionTimestamp != nil, "namespace %s is gone or going: %v", name, err)
}

// assertKept checks that an object exists and is not being deleted.
func assertKept(t *testing.T, res *resources.Resources, obj workload.Object, what string) {
	t.Helper()
	require.NoError(t, res.Get(context.Background(), obj.GetName(), obj.GetNamespace(), obj), what)
	assert.Nil(t, obj.GetDeletionTimestamp(), what)
}

func assertGone(t *testing.T, res *resources.Resources, obj workload.Object, what string) {
	t.Helper()
	err := res.Get(context.Background(), obj.GetName(), obj.GetNamespace(), obj)
	assert.True(t, apierrors.IsNotFound(err), "%s: %v", what, err)
}

// testRun is a run of the built-in catalog on an existing cluster; unique
// gives its scenarios namespaces suffixed with the run id.
func testRun(t *testing.T, runID string, unique bool) *Run {
	ca, err := workload.NewCA("envtest")
	require.NoError(t, err)
	cfg := config.Config{RunID: runID, UniqueNamespaces: unique, ClientImage: "curlimages/curl:8.11.1", ServerImage: "nginx:1.27.3-alpine", Keep: config.KeepNever}
	r := New(cfg, preflight.Report{Mode: preflight.ModeExisting}, scenarios.Builtin(), io.Discard, nil)
	r.ca = ca
	return r
}

// fakeKubelet stands in for the kubelet envtest does not run: it gives the
// hermetic server's pod the IPs of a dual-stack pod and marks it Ready.
func fakeKubelet(t *testing.T, res *resources.Resources, namespace string, ips ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var pod corev1.Pod
			if res.Get(ctx, workload.ServerPodName, namespace, &pod) == nil && len(pod.Status.PodIPs) == 0 {
				pod.Status.Phase, pod.Status.PodIP = corev1.PodRunning, ips[0]
				for _, ip := range ips {
					pod.Status.PodIPs = append(pod.Status.PodIPs, corev1.PodIP{IP: ip})
				}
				pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
				_ = res.UpdateStatus(ctx, &pod)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// clusterDNS are kind's CoreDNS ConfigMap and Deployment, abridged: what an
// earlier version of the harness rewrote, and which the run must leave alone.
func clusterDNS() []workload.Object {
	app := map[string]string{"k8s-app": "kube-dns"}
	return []workload.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"},
			Data: map[string]string{"Corefile": ".:53 {\n    errors\n    forward . /etc/resolv.conf\n    reload\n}\n"}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(2)), Selector: &metav1.LabelSelector{MatchLabels: app}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: app},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "coredns", Image: "registry.k8s.io/coredns/coredns:v1.12.0"}}}}}},
	}
}

func (r *Run) scenario(t *testing.T, name string) scenarios.Scenario {
	for _, s := range r.scenarios() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return scenarios.Scenario{}
}

func foreignServiceEntry(namespace string, labels map[string]string) *networkingv1.ServiceEntry {
	se := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: namespace, Labels: labels}}
	se.Spec.Hosts = []string{"www.tetrate.io"}
	return se
}

func TestAgainstAPIServer(t *testing.T) {
	cfg := apiserver.Start(t).Config
	namespacesTerminate(t)
	ctx := context.Background()
	res := cfg.Client().Resources()
	dns := clusterDNS()
	for _, o := range dns {
		require.NoError(t, res.Create(ctx, o))
	}
	t.Cleanup(func() { // the hermetic flow's subtest and every other one change nothing in kube-system
		for i, o := range clusterDNS() {
			require.NoError(t, res.Get(ctx, o.GetName(), o.GetNamespace(), o))
			assert.Equal(t, dns[i].GetResourceVersion(), o.GetResourceVersion(), "%T kube-system/coredns untouched", o)
		}
	})

	t.Run("seed fixture applies verbatim and teardown deletes by label only", func(t *testing.T) {
		require.NoError(t, res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "foreign"}}))
		foreign := foreignServiceEntry("foreign", nil)
		require.NoError(t, res.Create(ctx, foreign))

		r := testRun(t, "envtest1", false)
		s := r.scenario(t, "tetrate-https-egress")
		require.NoError(t, r.applyScenario(ctx, cfg, s))
		// Objects in the run's namespace it did not label: another run's and someone's.
		otherRun := foreignServiceEntry("tetrate", map[string]string{config.RunIDLabel: "otherrun", config.ScenarioLabel: s.Name})
		require.NoError(t, res.Create(ctx, otherRun))
		unlabelled := foreignServiceEntry("tetrate", nil)
		unlabelled.Name = "unlabelled"
		require.NoError(t, res.Create(ctx, unlabelled))

		var vs networkingv1.VirtualService
		require.NoError(t, res.Get(ctx, "tetrate", "tetrate", &vs))
		assert.Equal(t, map[string]string{config.RunIDLabel: "envtest1", config.ScenarioLabel: "tetrate-https-egress"}, vs.Labels)
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

		assertOnlyNamespaceWaitFailed(t, r.teardownScenario(ctx, cfg, s))
		seedObject := metav1.ObjectMeta{Name: "tetrate", Namespace: "tetrate"}
		assertGone(t, res, &networkingv1.ServiceEntry{ObjectMeta: seedObject}, "the fixture's ServiceEntry")
		assertGone(t, res, &networkingv1.VirtualService{ObjectMeta: seedObject}, "the fixture's VirtualService")
		assertGone(t, res, &networkingv1.DestinationRule{ObjectMeta: seedObject}, "the fixture's DestinationRule")
		assertGoing(t, res, "tetrate")
		assertKept(t, res, otherRun, "another run's ServiceEntry is not selected")
		assertKept(t, res, unlabelled, "an unlabelled ServiceEntry is not selected")
		assertKept(t, res, foreign, "a foreign ServiceEntry survives")
		assertKept(t, res, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "foreign"}}, "a foreign namespace survives")
	})

	t.Run("unique namespaces: the fixtures' namespace is created, labelled, and deleted by label", func(t *testing.T) {
		r := testRun(t, "envtest2", true)
		s := r.scenario(t, "tetrate-other-namespace")
		require.NoError(t, r.applyScenario(ctx, cfg, s))
		var client, fixtures corev1.Namespace
		require.NoError(t, res.Get(ctx, "egress-other-envtest2", "", &client))
		assert.Equal(t, "enabled", client.Labels["istio-injection"])
		require.NoError(t, res.Get(ctx, "tetrate-envtest2", "", &fixtures))
		assert.Equal(t, "envtest2", fixtures.Labels[config.RunIDLabel])
		assert.Equal(t, s.Name, fixtures.Labels[config.ScenarioLabel])
		assert.NotContains(t, fixtures.Labels, "istio-injection", "no injection where only config lives")
		var dr networkingv1.DestinationRule
		require.NoError(t, res.Get(ctx, "tetrate", "tetrate-envtest2", &dr))
		assert.Equal(t, []string{"."}, dr.Spec.ExportTo)

		assertOnlyNamespaceWaitFailed(t, r.teardownScenario(ctx, cfg, s))
		assertGone(t, res, &dr, "the fixture's DestinationRule")
		assertGoing(t, res, "tetrate-envtest2")
		assertGoing(t, res, "egress-other-envtest2")
	})

	t.Run("a foreign namespace of the same name is a setup error, and survives the teardown", func(t *testing.T) {
		require.NoError(t, res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tetrate-envtest3"}}))
		r := testRun(t, "envtest3", true)
		s := r.scenario(t, "tetrate-https-egress")
		err := r.applyScenario(ctx, cfg, s)
		assert.EqualError(t, err, "Namespace /tetrate-envtest3 already exists and was not created by this run: remove it or use another cluster")
		assert.NoError(t, r.teardownScenario(ctx, cfg, s))
		assertKept(t, res, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tetrate-envtest3"}}, "not labelled: never deleted")
	})

	t.Run("a namespace an earlier scenario of the run kept is named as such", func(t *testing.T) {
		r := testRun(t, "envtest8", true)
		require.NoError(t, r.applyScenario(ctx, cfg, r.scenario(t, "tetrate-https-egress"))) // kept: no teardown
		err := r.applyScenario(ctx, cfg, r.scenario(t, "tetrate-origination-control"))
		assert.EqualError(t, err, "Namespace /tetrate-envtest8 already exists: scenario tetrate-https-egress of this run left it (kept by E2E_KEEP, or still terminating); "+
			"give the scenarios different namespaces or run them one at a time with --feature")
	})

	t.Run("hermetic flow: the client pod's hostAliases name the server's IPs", func(t *testing.T) {
		r := testRun(t, "envtest9", true)
		r.Cfg.External, r.ca = config.ExternalHermetic, nil // the CA is made by the external host's setup
		fakeKubelet(t, res, r.serverNamespace(), "10.244.0.8", "fd00:10:244::8")
		catalog := []scenarios.Entry{{Scenario: r.scenario(t, "tetrate-https-egress")}}
		require.NoError(t, r.setupExternalHost(ctx, cfg, facts.Hosts(catalog[0].Scenario)))
		assert.Equal(t, []string{"10.244.0.8", "fd00:10:244::8"}, r.serverIPs)
		require.NoError(t, r.applyScenario(ctx, cfg, catalog[0].Scenario))
		var pod corev1.Pod
		require.NoError(t, res.Get(ctx, workload.ClientPodName, "tetrate-envtest9", &pod))
		assert.Equal(t, []corev1.HostAlias{
			{IP: "10.244.0.8", Hostnames: []string{"www.tetrate.io", "tetrate.io"}},
			{IP: "fd00:10:244::8", Hostnames: []string{"www.tetrate.io", "tetrate.io"}},
		}, pod.Spec.HostAliases, "the check's host and the DestinationRule's SNI, per pod")
		_, err := r.Teardown()(ctx, cfg)
		assertOnlyNamespaceWaitFailed(t, err)
		assertGoing(t, res, "egress-external-envtest9")
	})

	t.Run("the run's teardown, after Ctrl-C, sweeps its leftovers by label and the hermetic host with them", func(t *testing.T) {
		r := testRun(t, "envtest5", true)
		cert, key, err := r.ca.Issue("www.tetrate.io", "tetrate.io")
		require.NoError(t, err)
		objs := workload.ServerObjects(workload.ServerOptions{Namespace: r.serverNamespace(), Image: r.Cfg.ServerImage, Labels: r.ownerLabels(""),
			Hosts: []string{"www.tetrate.io"}, CertPEM: cert, KeyPEM: key})
		require.NoError(t, apply.CreateAll(ctx, res, objs))
		var pod corev1.Pod
		require.NoError(t, res.Get(ctx, workload.ServerPodName, "egress-external-envtest5", &pod))
		assert.Equal(t, "nginx:1.27.3-alpine", pod.Spec.Containers[0].Image)

		// A scenario whose own teardown never ran (the process was killed in it).
		s := r.scenario(t, "tetrate-origination-control")
		require.NoError(t, r.applyScenario(ctx, cfg, s))
		require.NoError(t, res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other-run", Labels: map[string]string{config.RunIDLabel: "otherrun"}}}))

		// Ctrl-C cancelled the run: teardown works on a context of its own.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err = r.Teardown()(cancelled, cfg)
		assertOnlyNamespaceWaitFailed(t, err)
		assertGone(t, res, &networkingv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{Name: "tetrate", Namespace: "tetrate-envtest5"}}, "a leftover fixture")
		assertGoing(t, res, "tetrate-envtest5")
		assertGoing(t, res, "egress-external-envtest5")
		assertKept(t, res, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other-run"}}, "another run's namespace")
	})

	t.Run("a pre-installed istiod is used as is, unless it blocks unknown hosts", func(t *testing.T) {
		require.NoError(t, res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: istio.Namespace}}))
		app := map[string]string{"app": "istiod"}
		require.NoError(t, res.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: istio.Istiod, Namespace: istio.Namespace},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: app}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: app}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "discovery", Image: "istio/pilot:1.32.0"}}}}}}))
		mesh := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: istio.MeshConfigMap, Namespace: istio.Namespace},
			Data: map[string]string{istio.MeshConfigKey: "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"}}
		require.NoError(t, res.Create(ctx, mesh))

		r := testRun(t, "envtest7", false)
		_, err := r.InstallIstio(ctx, cfg)
		assert.ErrorContains(t, err, "istio: the installed istiod has outboundTrafficPolicy.mode REGISTRY_ONLY (istio-system/istio)")
		assert.False(t, r.installedIstio, "someone else's Istio: never uninstalled")

		mesh.Data[istio.MeshConfigKey] = "outboundTrafficPolicy:\n  mode: ALLOW_ANY\n"
		require.NoError(t, res.Update(ctx, mesh))
		_, err = r.InstallIstio(ctx, cfg)
		assert.NoError(t, err)
		assert.False(t, r.installedIstio)
	})

	t.Run("a sweep removes what a killed run left, and only that", func(t *testing.T) {
		killed := testRun(t, "5eed0001", true)
		s := killed.scenario(t, "tetrate-https-egress")
		require.NoError(t, killed.applyScenario(ctx, cfg, s))
		require.NoError(t, apply.CreateAll(ctx, res, []workload.Object{workload.PlainNamespace(killed.serverNamespace(), killed.ownerLabels(""))}))
		other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "still-running", Labels: map[string]string{config.RunIDLabel: "0a0a0a0a"}}}
		require.NoError(t, res.Create(ctx, other))

		// A later process, with only the run id.
		list := "/bin/helm list --all-namespaces --deployed --failed --pending --uninstalling --selector egress-conformance.io/run-id=5eed0001 --output json --kubeconfig " + cfg.KubeconfigFile()
		rec := &command.Recorder{Replies: map[string]command.Reply{list: {Out: []byte(`[{"name":"istiod","namespace":"istio-system"}]`)}}}
		sweeper := New(config.Config{RunID: "5eed0001", Sweep: "5eed0001"}, preflight.Report{Mode: preflight.ModeExisting, Tools: map[string]string{"helm": "/bin/helm"}},
			scenarios.Builtin(), io.Discard, nil)
		sweeper.Runner = rec
		assertOnlyNamespaceWaitFailed(t, sweeper.Sweep(ctx, cfg))

		assertGone(t, res, &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "tetrate", Namespace: "tetrate-5eed0001"}}, "the killed run's fixture")
		assertGoing(t, res, "tetrate-5eed0001")
		assertGoing(t, res, "egress-external-5eed0001")
		assertKept(t, res, other, "a run still going is not selected")
		assert.Equal(t, []string{list, "/bin/helm uninstall istiod --namespace istio-system --wait --timeout 5m --kubeconfig " + cfg.KubeconfigFile()}, rec.Lines())
	})

	// After the pre-installed istiod's subtest: istio-system exists, unlabelled.
	t.Run("the chart gateway is installed with the pinned helm and uninstalled by label, with the Gateway API CRD the cluster lacked", func(t *testing.T) {
		testGatewayInstall(t, cfg)
	})
	t.Run("in hermetic mode the installed gateway's pods get the hermetic server's hostAliases", func(t *testing.T) {
		testHermeticGateway(t, cfg)
	})
	t.Run("a gateway that already runs is used as is and survives the teardown", func(t *testing.T) {
		testPreexistingGateway(t, cfg)
	})
	t.Run("a run focused on a scenario without a gateway installs no gateway", func(t *testing.T) {
		testFocusedRunInstallsNoGateway(t, cfg)
	})
	t.Run("on the standard channel's TLSRoute CRD, v1 TLSRoutes apply and a v1alpha2 one skips its scenario", func(t *testing.T) {
		testStandardChannelTLSRoute(t, cfg)
	})

	t.Run("a cancelled setup leaves nothing behind", func(t *testing.T) {
		r := testRun(t, "envtest6", true)
		s := r.scenario(t, "tetrate-https-egress")
		cctx, cancel := context.WithCancel(ctx)
		require.NoError(t, r.applyScenario(cctx, cfg, scenarios.Scenario{Name: s.Name, Client: s.Client}), "namespace and client only")
		cancel()
		require.Error(t, r.applyScenario(cctx, cfg, s), "a cancelled context stops the setup")
		assertOnlyNamespaceWaitFailed(t, r.teardownScenario(cctx, cfg, s))
		assertGoing(t, res, "tetrate-envtest6")
	})
}
