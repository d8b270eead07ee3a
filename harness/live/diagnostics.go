package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/yaml"

	"istio-egress-conformance/harness/diagnostics"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// collectDiagnostics runs before a failed scenario's teardown, into
// $ARTIFACTS/diagnostics/<scenario>/.
func (r *Run) collectDiagnostics(ctx context.Context, cfg *envconf.Config, s scenarios.Scenario) error {
	cs, err := kubernetes.NewForConfig(cfg.Client().RESTConfig())
	if err != nil {
		return err
	}
	var fixtures []workload.Object
	for _, o := range s.Objects() {
		fixtures = append(fixtures, o.Object)
	}
	src := &clusterSource{res: cfg.Client().Resources(), cs: cs, fixtures: fixtures}
	target := diagnostics.Target{Scenario: s.Name, Namespace: s.Client.Namespace, Pod: workload.ClientPodName,
		Container: workload.ClientContainer, Sidecar: workload.SidecarContainer, Hosts: facts.Hosts(s)}
	var gatewayErr error
	if g := facts.Of(s).Gateway; g != nil {
		if ns, pod, err := g.AnyPod(ctx, cfg.Client().Resources()); err != nil {
			gatewayErr = err // the client's files are still collected
		} else {
			target.Gateway = &diagnostics.Pod{Namespace: ns, Name: pod}
		}
	}
	return errors.Join(diagnostics.Collect(ctx, filepath.Join(r.Cfg.Artifacts, "diagnostics"), target, src), gatewayErr)
}

// clusterSource reads diagnostics from the cluster.
type clusterSource struct {
	res *resources.Resources
	cs  kubernetes.Interface
	// fixtures are the scenario's fixture objects, read back by name.
	fixtures []workload.Object
}

func (c *clusterSource) Exec(ctx context.Context, ns, pod, container string, argv []string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	if err := c.res.ExecInPod(ctx, ns, pod, container, argv, &stdout, &stderr); err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.Bytes(), nil
}

func (c *clusterSource) Logs(ctx context.Context, ns, pod, container string) ([]byte, error) {
	limit := int64(diagnostics.MaxFileBytes)
	return c.cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, LimitBytes: &limit}).DoRaw(ctx)
}

func (c *clusterSource) Events(ctx context.Context, ns string) ([]byte, error) {
	// The clientset, not resources.WithNamespace, which would scope the shared
	// Resources that teardown lists with.
	events, err := c.cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(events.Items)
}

func (c *clusterSource) Objects(ctx context.Context) ([]byte, error) {
	var live []workload.Object
	for _, o := range c.fixtures {
		fresh := o.DeepCopyObject().(workload.Object)
		if err := c.res.Get(ctx, o.GetName(), o.GetNamespace(), fresh); err != nil {
			if apierrors.IsNotFound(err) {
				continue // the setup failed before creating it
			}
			return nil, fmt.Errorf("get %s/%s: %v", o.GetNamespace(), o.GetName(), err)
		}
		if secret, ok := fresh.(*corev1.Secret); ok {
			fresh = diagnostics.Redacted(secret)
		}
		fresh.SetManagedFields(nil)
		// Typed objects come back without apiVersion and kind; the dump needs them.
		if gvk, err := apiutil.GVKForObject(fresh, c.res.GetScheme()); err == nil {
			fresh.GetObjectKind().SetGroupVersionKind(gvk)
		}
		live = append(live, fresh)
	}
	return workload.Render(live)
}
