package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"istio.io/istio/pkg/config/schema/gatewayapi"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/klient/decoder"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/gateway-api/pkg/consts"

	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// crdKind is the kind of a CustomResourceDefinition, for deletes by label.
var crdKind = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// crdNamed is a CustomResourceDefinition of that name, to get or delete.
func crdNamed(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(crdKind)
	u.SetName(name)
	return u
}

// installGateways gives the egress gateways of the scenarios the run's
// filters select (and it can run) what they need: the Gateway API's CRDs when
// a scenario holds Gateway API objects, and each chart gateway installed
// (istiod deploys a Gateway API gateway itself). A focused run on scenarios
// without a gateway installs nothing.
func (r *Run) installGateways(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	ss := r.runnableScenarios(cfg)
	if slices.ContainsFunc(ss, scenarios.Scenario.UsesGatewayAPI) {
		if err := r.phase("gateway api: the CRDs of the release Istio pins, where the cluster lacks them", func() error { return r.installGatewayAPI(ctx, cfg, ss) }); err != nil {
			return ctx, err
		}
	}
	for _, g := range chartGateways(ss) {
		if err := r.installGateway(ctx, cfg, g, gatewayHosts(ss, g)); err != nil {
			return ctx, err
		}
	}
	return ctx, nil
}

// gatewayHosts are the hosts the scenarios through gateway g reach: in
// hermetic mode the gateway's pods resolve them to the run's server.
func gatewayHosts(ss []scenarios.Scenario, g egressgateway.Gateway) []string {
	var through []scenarios.Scenario
	for _, s := range ss {
		if o := facts.Of(s).Gateway; o != nil && o.String() == g.String() {
			through = append(through, s)
		}
	}
	return facts.Hosts(through...)
}

// chartGateways are the scenarios' egress gateways the chart provides, once each.
func chartGateways(ss []scenarios.Scenario) []egressgateway.Gateway {
	var out []egressgateway.Gateway
	for _, s := range ss {
		if g := facts.Of(s).Gateway; g != nil && !g.Managed() && !slices.ContainsFunc(out, func(o egressgateway.Gateway) bool { return o.String() == g.String() }) {
			out = append(out, *g)
		}
	}
	return out
}

// installGatewayAPI creates each Gateway API CRD the cluster lacks, labelled
// with the run id (teardown deletes those, and only those), and waits until
// they are established. A CRD that exists, whatever its version, is used as
// is: it may serve another run or the cluster's own gateways; a scenario with
// an object it does not serve at the version written is skipped
// (unservedVersion).
func (r *Run) installGatewayAPI(ctx context.Context, cfg *envconf.Config, ss []scenarios.Scenario) error {
	files, err := istio.GatewayAPICRDs()
	if err != nil {
		return err
	}
	res := cfg.Client().Resources()
	var created []string
	crds := map[schema.GroupKind]*unstructured.Unstructured{}
	ignored := map[schema.GroupKind]string{} // CRDs istiod does not watch, and why
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("gateway api: %v", err)
		}
		crd := &unstructured.Unstructured{}
		if err := decoder.Decode(bytes.NewReader(data), crd); err != nil {
			return fmt.Errorf("gateway api: %s: %v", f, err)
		}
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		gk := schema.GroupKind{Group: fixture.GatewayAPIGroup, Kind: kind}
		crds[gk] = crd
		existing := crdNamed("")
		err = res.Get(ctx, crd.GetName(), "", existing)
		if err == nil {
			crds[gk] = existing
			if err := watchedByIstiod(existing); err != nil {
				ignored[gk] = err.Error() // skipUnusable skips the scenarios that use it
			}
			continue
		}
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("gateway api: look for CRD %s: %v", crd.GetName(), err)
		}
		crd.SetLabels(labels.Merge(crd.GetLabels(), r.ownerLabels("")))
		if err := res.Create(ctx, crd); err != nil {
			return fmt.Errorf("gateway api: create CRD %s: %v", crd.GetName(), err)
		}
		r.installedCRDs = true
		created = append(created, crd.GetName())
	}
	fmt.Fprintf(r.Progress, "gateway api: created %d CRDs, %d already there\n", len(created), len(files)-len(created))
	r.skipUnusable(ss, crds, ignored)
	for _, name := range created {
		if err := waitEstablished(ctx, res, name); err != nil {
			return err
		}
	}
	return nil
}

// skipUnusable marks the scenarios the cluster's Gateway API CRDs cannot
// carry: one with an object of a kind istiod ignores at the CRD's bundle
// version (watchedByIstiod), or written at a version the CRD does not serve
// (unservedVersion). cannotRunAfterSetup skips them with that line; the
// other scenarios run.
func (r *Run) skipUnusable(ss []scenarios.Scenario, crds map[schema.GroupKind]*unstructured.Unstructured, ignored map[schema.GroupKind]string) {
	for _, s := range ss {
		line := unservedVersion(s, crds)
		for _, o := range s.Objects() {
			if why, ok := ignored[o.Object.GetObjectKind().GroupVersionKind().GroupKind()]; ok {
				line = why
			}
		}
		if line != "" {
			r.unservedGatewayAPI[s.Name] = line
		}
	}
}

// unservedVersion names the first of the scenario's Gateway API objects that
// the cluster's CRD of its kind does not serve at the version it is written
// in, with the CRD's channel and the versions it serves; "" when all are
// served. The standard channel serves TLSRoute at v1 only (gateway-api
// v1.6.0 config/crd/standard/gateway.networking.k8s.io_tlsroutes.yaml:
// v1alpha2 and v1alpha3 served: false), and its safe-upgrades admission
// policy refuses experimental CRDs over standard ones
// (gateway.networking.k8s.io_vap_safeupgrades.yaml), so the run cannot fix it.
func unservedVersion(s scenarios.Scenario, crds map[schema.GroupKind]*unstructured.Unstructured) string {
	for _, o := range s.Objects() {
		gvk := o.Object.GetObjectKind().GroupVersionKind()
		crd, ok := crds[gvk.GroupKind()]
		if !ok {
			continue
		}
		served := servedVersions(crd)
		if slices.Contains(served, gvk.Version) {
			continue
		}
		return fmt.Sprintf("%s %s/%s: the cluster's CRD %s (%s channel, %s %s) serves %s only: write the fixture at one of those, or use a cluster with the experimental channel's CRDs",
			o, gvk.Group, gvk.Version, crd.GetName(), orUnknown(crd.GetAnnotations()[consts.ChannelAnnotation]), consts.BundleVersionAnnotation,
			orUnknown(crd.GetAnnotations()[consts.BundleVersionAnnotation]), strings.Join(served, ", "))
	}
	return ""
}

// servedVersions are the versions a CRD serves (spec.versions[].served).
func servedVersions(crd *unstructured.Unstructured) []string {
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	var served []string
	for _, v := range versions {
		if m, ok := v.(map[string]any); ok && m["served"] == true {
			name, _ := m["name"].(string)
			served = append(served, name)
		}
	}
	return served
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// waitEstablished waits for a CRD's Established condition: before it, the
// API server refuses objects of its kinds.
func waitEstablished(ctx context.Context, res *resources.Resources, name string) error {
	err := wait.For(func(ctx context.Context) (bool, error) {
		crd := crdNamed("")
		if err := res.Get(ctx, name, "", crd); err != nil {
			return false, err
		}
		conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, c := range conditions {
			if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	}, wait.WithContext(ctx), wait.WithTimeout(time.Minute), wait.WithInterval(200*time.Millisecond))
	if err != nil {
		return fmt.Errorf("gateway api: CRD %s not established: %v", name, err)
	}
	return nil
}

// installGateway installs one chart gateway with helm, unless a Deployment of
// its name already runs in its namespace: that gateway, someone else's, is
// used as is and never touched. The namespace, when the run makes it, is
// labelled and goes with the run's namespaces.
func (r *Run) installGateway(ctx context.Context, cfg *envconf.Config, g egressgateway.Gateway, hosts []string) error {
	res := cfg.Client().Resources()
	err := res.Get(ctx, g.Name, g.Namespace, &appsv1.Deployment{})
	if err == nil {
		return r.phase("egress gateway: "+g.String()+" already runs; used as is, never touched", func() error { return nil })
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("egress gateway %s: cannot look for its Deployment: %v", g, err)
	}
	return r.phase(fmt.Sprintf("egress gateway: helm install %s (chart %s %s)", g, egressgateway.ChartName, r.Cfg.IstioVersion), func() error {
		nsErr := res.Get(ctx, g.Namespace, "", &corev1.Namespace{})
		if apierrors.IsNotFound(nsErr) {
			nsErr = apply.CreateAll(ctx, res, []workload.Object{workload.PlainNamespace(g.Namespace, r.ownerLabels(""))})
		}
		if nsErr != nil {
			return fmt.Errorf("egress gateway %s: its namespace: %v", g, nsErr)
		}
		r.installedGateways = append(r.installedGateways, g)
		_, err := r.Runner.Run(ctx, istio.GatewayInstallCommand(r.Report.Tools["helm"], cfg.KubeconfigFile(), r.Cfg, g)...)
		if err != nil {
			return fmt.Errorf("egress gateway %s: %v", g, err)
		}
		if !r.Hermetic() {
			return nil
		}
		return pointAtHermeticServer(ctx, res, g, workload.HostAliases(r.serverIPs, hosts))
	})
}

// pointAtHermeticServer gives the gateway's pods the hermetic server's
// hostAliases, as each client pod has: the gateway's own Envoy resolves the
// hosts of its STRICT_DNS clusters, reading the pod's /etc/hosts first as the
// sidecar does (harness/workload/hosts.go). The chart has no value for them
// (manifests/charts/gateway/values.yaml), so the Deployment the run installed
// is patched, and its rollout awaited: the pods of the install are replaced.
func pointAtHermeticServer(ctx context.Context, res *resources.Resources, g egressgateway.Gateway, aliases []corev1.HostAlias) error {
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"hostAliases": aliases}}}})
	if err != nil {
		return err
	}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: g.Name, Namespace: g.Namespace}}
	if err := res.Patch(ctx, dep, k8s.Patch{PatchType: types.StrategicMergePatchType, Data: patch}); err != nil {
		return fmt.Errorf("egress gateway %s: give its pods the hermetic server's hostAliases: %v", g, err)
	}
	if err := wait.For(func(ctx context.Context) (bool, error) {
		if err := res.Get(ctx, g.Name, g.Namespace, dep); err != nil {
			return false, err
		}
		return rolledOut(dep), nil
	}, wait.WithContext(ctx), wait.WithTimeout(5*time.Minute), wait.WithInterval(time.Second)); err != nil {
		return fmt.Errorf("egress gateway %s: its pods with the hermetic hostAliases never all became available: %v", g, err)
	}
	return nil
}

// rolledOut is kubectl rollout status's test for a Deployment (k8s.io/kubectl
// pkg/polymorphichelpers/rollout_status.go, DeploymentStatusViewer.Status):
// the controller saw the latest spec, every replica is updated, no old one
// is left, and every updated one is available.
func rolledOut(d *appsv1.Deployment) bool {
	st := d.Status
	if d.Generation > st.ObservedGeneration {
		return false
	}
	if d.Spec.Replicas != nil && st.UpdatedReplicas < *d.Spec.Replicas {
		return false
	}
	return st.Replicas <= st.UpdatedReplicas && st.AvailableReplicas >= st.UpdatedReplicas
}

// watchedByIstiod refuses a Gateway API CRD the cluster has whose bundle
// version istiod will not watch (pkg/kube/kclient/crdwatcher.go,
// minimumVersionFilter: gatewayapi.MinimumCRDVersions, TLSRoute from v1.5.0):
// its objects would be applied and then ignored, and the checks would fail
// as a routing mismatch. The scenarios that use it are skipped with why.
func watchedByIstiod(crd *unstructured.Unstructured) error {
	floor, gated := gatewayapi.MinimumCRDVersions[crd.GetName()]
	if !gated {
		return nil
	}
	bundle := crd.GetAnnotations()[consts.BundleVersionAnnotation]
	if v, err := semver.NewVersion(bundle); err == nil {
		if released, err := v.SetPrerelease(""); err == nil && !released.LessThan(floor) {
			return nil // an rc counts as its release, as in minimumVersionFilter
		}
	}
	return fmt.Errorf("gateway api: the cluster's CRD %s has %s=%q; istiod ignores it below %s, so a scenario's objects of it would do nothing: upgrade the Gateway API CRDs (the run does not touch the cluster's own)",
		crd.GetName(), consts.BundleVersionAnnotation, bundle, floor)
}

// deleteCreatedCRDs deletes the Gateway API CRDs the run created, unless one
// holds an object the run did not make: deleting a CRD deletes every object
// of its kind, and another run or user may have started using the CRDs this
// run installed. istiod's own GatewayClasses (controllerName istio.io/...)
// do not count: istiod makes them whenever the CRD exists.
func deleteCreatedCRDs(ctx context.Context, res *resources.Resources, runID, selector string, progress io.Writer) error {
	var crds unstructured.UnstructuredList
	crds.SetGroupVersionKind(crdKind.GroupVersion().WithKind(crdKind.Kind + "List"))
	if err := res.WithNamespace("").List(ctx, &crds, resources.WithLabelSelector(selector)); err != nil {
		return fmt.Errorf("list CustomResourceDefinitions labelled %s: %v", selector, err)
	}
	var errs []error
	for i := range crds.Items {
		crd := &crds.Items[i]
		if foreign, err := foreignObject(ctx, res, crd, runID); err != nil {
			errs = append(errs, err)
			continue
		} else if foreign != "" {
			fmt.Fprintf(progress, "gateway api: CRD %s kept: %s does not belong to run %s\n", crd.GetName(), foreign, runID)
			continue
		}
		if err := res.Delete(ctx, crd); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete CRD %s: %v", crd.GetName(), err))
		}
	}
	return errors.Join(errs...)
}

// foreignObject names an object of the CRD's kind that the run did not make;
// "" when there is none.
func foreignObject(ctx context.Context, res *resources.Resources, crd *unstructured.Unstructured, runID string) (string, error) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	version := ""
	for _, v := range versions {
		if m, ok := v.(map[string]any); ok && m["storage"] == true {
			version, _ = m["name"].(string)
		}
	}
	var objs unstructured.UnstructuredList
	objs.SetGroupVersionKind(schema.GroupVersionKind{Group: group, Version: version, Kind: kind + "List"})
	if err := res.WithNamespace("").List(ctx, &objs); err != nil {
		return "", fmt.Errorf("list %s to see whose they are: %v", crd.GetName(), err)
	}
	for _, o := range objs.Items {
		if o.GetLabels()[config.RunIDLabel] == runID {
			continue
		}
		if controller, _, _ := unstructured.NestedString(o.Object, "spec", "controllerName"); kind == "GatewayClass" && strings.HasPrefix(controller, "istio.io/") {
			continue
		}
		return fmt.Sprintf("%s %s/%s", kind, o.GetNamespace(), o.GetName()), nil
	}
	return "", nil
}
