package live

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/klient/decoder"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/gateway-api/pkg/consts"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/scenarios"
)

// localChart runs the live tier's helm commands with the pinned helm, the
// gateway chart taken from the pinned istio.io/istio module instead of
// Istio's chart repository (no network here), and without --wait on
// install: an API server without nodes never runs the gateway's pod.
type localChart struct{ chart string }

func (l localChart) Run(ctx context.Context, argv ...string) ([]byte, error) {
	if len(argv) > 3 && argv[1] == "install" {
		var out []string
		for i := 0; i < len(argv); i++ {
			switch {
			case argv[i] == "--repo" || argv[i] == "--version":
				i++
			case argv[i] == "--wait":
			case i == 3:
				out = append(out, l.chart)
			default:
				out = append(out, argv[i])
			}
		}
		argv = out
	}
	return command.Exec{}.Run(ctx, argv...)
}

// helmRun is a test run whose helm commands run the pinned helm (localChart).
func helmRun(t *testing.T, runID, external string) *Run {
	helm, err := preflight.ToolPath(context.Background(), command.Exec{}, "helm")
	require.NoError(t, err)
	istioDir, err := istio.ModuleDir("istio.io/istio")
	require.NoError(t, err)
	r := testRun(t, runID, true)
	r.Cfg.External = external
	r.Report.Tools = map[string]string{"helm": helm}
	r.Runner = localChart{chart: filepath.Join(istioDir, egressgateway.Chart)}
	return r
}

// testGatewayInstall: the live tier installs the chart's egress gateway with
// the pinned helm against a real API server, labelled; creates the Gateway
// API CRD the cluster lacks and only that one; and its teardown removes
// exactly those, by label.
func testGatewayInstall(t *testing.T, cfg *envconf.Config) {
	ctx := context.Background()
	res := cfg.Client().Resources()
	// A cluster with the Gateway API but an older bundle, without UDPRoute.
	require.NoError(t, res.Delete(ctx, crdNamed("udproutes.gateway.networking.k8s.io")))
	require.Eventually(t, func() bool { return res.Get(ctx, "udproutes.gateway.networking.k8s.io", "", crdNamed("")) != nil }, 30e9, 1e8)

	r := helmRun(t, "envtestg1", config.ExternalInternet) // gateway scenarios run against the real hosts
	_, err := r.InstallGateways(ctx, cfg)
	require.NoError(t, err)

	made := crdNamed("udproutes.gateway.networking.k8s.io")
	require.NoError(t, res.Get(ctx, made.GetName(), "", made))
	assert.Equal(t, "envtestg1", made.GetLabels()[config.RunIDLabel], "the CRD the run created is labelled")
	kept := crdNamed("httproutes.gateway.networking.k8s.io")
	require.NoError(t, res.Get(ctx, kept.GetName(), "", kept))
	assert.NotContains(t, kept.GetLabels(), config.RunIDLabel, "a CRD the cluster had is not touched")

	var dep appsv1.Deployment
	require.NoError(t, res.Get(ctx, "istio-egressgateway", istio.Namespace, &dep))
	g := egressgateway.Gateway{Namespace: istio.Namespace, Name: "istio-egressgateway"}
	for k, v := range g.PodLabels() {
		assert.Equal(t, v, dep.Spec.Template.Labels[k], "pod label %s", k)
	}
	var svc corev1.Service
	require.NoError(t, res.Get(ctx, "istio-egressgateway", istio.Namespace, &svc))
	assert.Equal(t, corev1.ServiceTypeClusterIP, svc.Spec.Type)
	listed, err := command.Exec{}.Run(ctx, istio.ReleasesCommand(r.Report.Tools["helm"], cfg.KubeconfigFile(), "envtestg1")...)
	require.NoError(t, err)
	assert.Contains(t, string(listed), `"name":"istio-egressgateway","namespace":"istio-system"`, "the release carries the run id")
	assert.Equal(t, []egressgateway.Gateway{g}, r.installedGateways)

	// Someone starts using the CRD the run created: the teardown keeps it.
	theirs := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "UDPRoute",
		"metadata": map[string]any{"name": "dns", "namespace": "default"},
		"spec":     map[string]any{"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": "coredns", "port": int64(53)}}}}}}}
	require.NoError(t, res.Create(ctx, theirs))
	_, err = r.Teardown()(ctx, cfg)
	assertOnlyNamespaceWaitFailed(t, err)
	assertGone(t, res, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "istio-egressgateway", Namespace: istio.Namespace}}, "the installed gateway")
	assertKept(t, res, crdNamed(made.GetName()), "a CRD the run created but someone else now uses")
	require.NoError(t, res.Delete(ctx, theirs))
	require.NoError(t, deleteCreatedCRDs(ctx, res, "envtestg1", r.ownerSelector(""), io.Discard))
	err = res.Get(ctx, made.GetName(), "", made)
	assert.True(t, apierrors.IsNotFound(err) || made.GetDeletionTimestamp() != nil, "the CRD the run created is gone or going (the API server removes its objects first): %v", err)
	assertKept(t, res, kept, "the CRD the cluster had")
	assertKept(t, res, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: istio.Namespace}}, "a namespace the run did not make")
	listed, err = command.Exec{}.Run(ctx, istio.ReleasesCommand(r.Report.Tools["helm"], cfg.KubeconfigFile(), "envtestg1")...)
	require.NoError(t, err)
	assert.Equal(t, "[]", strings.TrimSpace(string(listed)))
}

// testPreexistingGateway: a gateway that already runs is used as is: no helm
// command, and it survives the teardown.
func testPreexistingGateway(t *testing.T, cfg *envconf.Config) {
	ctx := context.Background()
	res := cfg.Client().Resources()
	g := egressgateway.Gateway{Namespace: istio.Namespace, Name: "istio-egressgateway"}
	theirs := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: g.Name, Namespace: g.Namespace},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: g.SelectorLabels()}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: g.PodLabels()}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "istio-proxy", Image: "auto"}}}}}}
	require.NoError(t, res.Create(ctx, theirs))

	r := testRun(t, "envtestg2", true)
	r.Cfg.External = config.ExternalInternet
	rec := &command.Recorder{}
	r.Runner, r.Report.Tools = rec, map[string]string{"helm": "/bin/helm"}
	_, err := r.InstallGateways(ctx, cfg)
	require.NoError(t, err)
	assert.Empty(t, rec.Calls, "no helm install over someone's gateway")
	assert.Empty(t, r.installedGateways)
	_, err = r.Teardown()(ctx, cfg)
	assertOnlyNamespaceWaitFailed(t, err)
	assert.False(t, slices.ContainsFunc(rec.Calls, func(c []string) bool { return slices.Contains(c, "uninstall") }), "nothing to uninstall: %v", rec.Calls)
	assertKept(t, res, theirs, "a gateway the run did not install")
}

// fakeDeploymentController stands in for the controller manager envtest does
// not run: it reports every generation of a Deployment as rolled out.
func fakeDeploymentController(t *testing.T, res *resources.Resources, namespace, name string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var d appsv1.Deployment
			if res.Get(ctx, name, namespace, &d) == nil && d.Status.ObservedGeneration < d.Generation {
				d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}
				_ = res.UpdateStatus(ctx, &d)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// installedDeployment stands in for helm in the hermetic test: its install
// creates the chart's Deployment (what the hostAliases patch changes), and it
// lists no release. The real helm's install and uninstall are
// testGatewayInstall's.
type installedDeployment struct {
	res *resources.Resources
	dep *appsv1.Deployment
}

func (f installedDeployment) Run(ctx context.Context, argv ...string) ([]byte, error) {
	if len(argv) > 1 && argv[1] == "install" {
		return nil, f.res.Create(ctx, f.dep)
	}
	return []byte("[]"), nil
}

// testHermeticGateway: in hermetic mode the chart gateway the run installs
// gets the hermetic server's hostAliases for the hosts of the scenarios
// through it, and the run waits for that rollout.
func testHermeticGateway(t *testing.T, cfg *envconf.Config) {
	ctx := context.Background()
	res := cfg.Client().Resources()
	r := testRun(t, "envtestg3", true)
	r.Cfg.External, r.serverIPs = config.ExternalHermetic, []string{"10.244.0.8", "fd00:10:244::8"}
	g := egressgateway.Gateway{Namespace: istio.Namespace, Name: "istio-egressgateway"}
	chartDeployment := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: g.Name, Namespace: g.Namespace},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: g.SelectorLabels()}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: g.PodLabels()}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "istio-proxy", Image: "auto"}}}}}}
	r.Runner, r.Report.Tools = installedDeployment{res: res, dep: chartDeployment}, map[string]string{"helm": "helm"}
	fakeDeploymentController(t, res, istio.Namespace, g.Name)
	_, err := r.InstallGateways(ctx, cfg)
	require.NoError(t, err)

	var dep appsv1.Deployment
	require.NoError(t, res.Get(ctx, g.Name, g.Namespace, &dep))
	assert.Equal(t, []corev1.HostAlias{
		{IP: "10.244.0.8", Hostnames: []string{"www.tetrate.io", "tetrate.io"}},
		{IP: "fd00:10:244::8", Hostnames: []string{"www.tetrate.io", "tetrate.io"}},
	}, dep.Spec.Template.Spec.HostAliases, "the hosts of the scenarios through this gateway, on both of the server's IPs")
	assert.Equal(t, int64(2), dep.Generation, "patched once")
	assert.True(t, rolledOut(&dep))
	assert.Empty(t, r.cannotRunAfterSetup(r.scenario(t, "tetrate-egress-gateway")))
	require.NoError(t, res.Delete(ctx, &dep))
}

// testFocusedRunInstallsNoGateway: e2e-framework runs every Setup action
// whatever its filters say; a run focused (--feature) on a scenario without
// an egress gateway installs no gateway and no CRD.
func testFocusedRunInstallsNoGateway(t *testing.T, cfg *envconf.Config) {
	r := testRun(t, "envtestg4", true)
	r.Cfg.External = config.ExternalInternet
	rec := &command.Recorder{}
	r.Runner, r.Report.Tools = rec, map[string]string{"helm": "/bin/helm"}
	focused := envconf.NewWithKubeConfig(cfg.KubeconfigFile()).WithFeatureRegex("^tetrate-https-egress$")
	_, err := r.InstallGateways(context.Background(), focused)
	require.NoError(t, err)
	assert.Empty(t, rec.Calls, "no helm command")
	assert.Empty(t, r.installedGateways)
	assert.False(t, r.installedCRDs)
	assert.Equal(t, []string{"www.tetrate.io", "tetrate.io"}, facts.Hosts(r.runnableScenarios(focused)...), "the hermetic server serves the focused scenario's hosts only")
}

// testStandardChannelTLSRoute: on a cluster with the standard channel's
// TLSRoute CRD (v1 served, v1alpha2 not: gateway-api v1.6.0
// config/crd/standard), the catalog's TLSRoutes, written at v1, apply; the
// same scenario written at v1alpha2, as istio.io writes it, is skipped with
// one line naming the version and the channel.
func testStandardChannelTLSRoute(t *testing.T, cfg *envconf.Config) {
	ctx := context.Background()
	res := cfg.Client().Resources()
	replaceCRD(t, res, "tlsroutes.gateway.networking.k8s.io", "standard")
	t.Cleanup(func() { replaceCRD(t, res, "tlsroutes.gateway.networking.k8s.io", "experimental") })

	r := testRun(t, "envtestg5", true)
	r.Cfg.External = config.ExternalInternet
	s := r.scenario(t, "istio-doc-egress-gateway-https-gatewayapi")
	written := atVersion(t, s, "TLSRoute", "v1alpha2")
	written.Name += "-v1alpha2"
	r.catalog = []scenarios.Entry{{ID: s.Name, Scenario: s}, {ID: written.Name, Scenario: written}}
	_, err := r.InstallGateways(ctx, cfg)
	require.NoError(t, err)
	assert.Empty(t, r.cannotRunAfterSetup(s), "TLSRoutes at v1 apply on both channels")
	assert.Regexp(t, `^TLSRoute istio-doc-egress-gateway-api-tls-envtestg5/direct-cnn-to-egress-gateway gateway.networking.k8s.io/v1alpha2: the cluster's CRD tlsroutes.gateway.networking.k8s.io \(standard channel, gateway.networking.k8s.io/bundle-version v1\.6\.0\) serves v1 only: `, r.cannotRunAfterSetup(written))
	require.NoError(t, r.applyScenario(ctx, cfg, s), "the v1 TLSRoutes apply to the standard channel's CRD")
	assertOnlyNamespaceWaitFailed(t, r.teardownScenario(ctx, cfg, s))

	// A CRD whose bundle istiod ignores skips the scenarios that use it, not the run.
	crd := crdNamed("tlsroutes.gateway.networking.k8s.io")
	require.NoError(t, res.Get(ctx, crd.GetName(), "", crd))
	annotations := crd.GetAnnotations()
	annotations[consts.BundleVersionAnnotation] = "v1.4.1"
	crd.SetAnnotations(annotations)
	require.NoError(t, res.Update(ctx, crd))
	old := testRun(t, "envtestg6", true)
	old.Cfg.External = config.ExternalInternet
	old.catalog = []scenarios.Entry{{ID: s.Name, Scenario: old.scenario(t, s.Name)}}
	_, err = old.InstallGateways(ctx, cfg)
	require.NoError(t, err, "one outdated CRD does not end the run")
	assert.Contains(t, old.cannotRunAfterSetup(old.scenario(t, s.Name)), `has gateway.networking.k8s.io/bundle-version="v1.4.1"; istiod ignores it below 1.5.0`)
}

// replaceCRD swaps the cluster's CRD of that name for the pinned gateway-api
// module's of the channel (standard or experimental), once established.
func replaceCRD(t *testing.T, res *resources.Resources, name, channel string) {
	ctx := context.Background()
	dir, err := istio.ModuleDir("sigs.k8s.io/gateway-api")
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, "config", "crd", channel, "gateway.networking.k8s.io_"+strings.TrimSuffix(name, ".gateway.networking.k8s.io")+".yaml"))
	require.NoError(t, err)
	crd := &unstructured.Unstructured{}
	require.NoError(t, decoder.Decode(bytes.NewReader(data), crd))
	require.NoError(t, res.Delete(ctx, crdNamed(name)))
	require.Eventually(t, func() bool { return apierrors.IsNotFound(res.Get(ctx, name, "", crdNamed(""))) }, 30*time.Second, 100*time.Millisecond)
	require.NoError(t, res.Create(ctx, crd))
	require.NoError(t, waitEstablished(ctx, res, name))
}

// atVersion is s with its objects of kind written at version instead
// (fixture.AtVersion).
func atVersion(t *testing.T, s scenarios.Scenario, kind, version string) scenarios.Scenario {
	out := s
	out.Resolved = nil
	changed := 0
	for _, f := range s.Resolved {
		f.Objects = slices.Clone(f.Objects)
		for i, o := range f.Objects {
			gvk := o.Object.GetObjectKind().GroupVersionKind()
			if gvk.Kind != kind {
				continue
			}
			var err error
			f.Objects[i].Object, err = fixture.AtVersion(o.Object, schema.GroupVersion{Group: gvk.Group, Version: version})
			require.NoError(t, err)
			changed++
		}
		out.Resolved = append(out.Resolved, f)
	}
	require.NotZero(t, changed, "no %s in %s", kind, s.Name)
	return out
}

func TestRolledOutIsKubectlsTest(t *testing.T) {
	one := int32(1)
	d := func(gen, observed int64, replicas, updated, available int32) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: gen}, Spec: appsv1.DeploymentSpec{Replicas: &one},
			Status: appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: replicas, UpdatedReplicas: updated, AvailableReplicas: available}}
	}
	assert.False(t, rolledOut(d(2, 1, 1, 1, 1)), "the controller has not seen the patch")
	assert.False(t, rolledOut(d(2, 2, 1, 0, 1)), "no new pod yet")
	assert.False(t, rolledOut(d(2, 2, 2, 1, 1)), "an old pod is still there")
	assert.False(t, rolledOut(d(2, 2, 1, 1, 0)), "the new pod is not available")
	assert.True(t, rolledOut(d(2, 2, 1, 1, 1)))
}
