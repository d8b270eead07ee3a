package controlplane

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/controlplane"
	"istio-egress-conformance/harness/istio"
)

// The unit tests of harness/controlplane live in this package's test binary,
// which links istiod's client side anyway: one Istio-sized link less per make test.

func TestTemplateCommandsUseTheLiveTiersValues(t *testing.T) {
	cmds := controlplane.TemplateCommands("/bin/helm", "/mod/istio")
	assert.Equal(t, []string{"/bin/helm", "template", "istio-base", "/mod/istio/manifests/charts/base", "--namespace", "istio-system"}, cmds[0])
	assert.Equal(t, append([]string{"/bin/helm", "template", "istiod", "/mod/istio/manifests/charts/istio-control/istio-discovery", "--namespace", "istio-system"},
		istio.IstiodValues()...), cmds[1])
}

func TestRenderNamesTheCommandThatPrintedGarbage(t *testing.T) {
	cmds := [][]string{{"/bin/helm", "template", "istiod", "/chart"}}
	rec := &command.Recorder{Replies: map[string]command.Reply{"/bin/helm template istiod /chart": {Out: []byte("kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n---\n- [unclosed\n")}}}
	_, err := controlplane.Render(context.Background(), rec, cmds)
	assert.ErrorContains(t, err, "render istio charts: istiod printed a document that is not YAML")

	rec.Replies["/bin/helm template istiod /chart"] = command.Reply{Err: errors.New("/bin/helm template istiod /chart: exit status 1: chart not found")}
	_, err = controlplane.Render(context.Background(), rec, cmds)
	assert.EqualError(t, err, "render istio charts: /bin/helm template istiod /chart: exit status 1: chart not found")

	rec.Replies["/bin/helm template istiod /chart"] = command.Reply{Out: []byte("---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n---\n")}
	objs, err := controlplane.Render(context.Background(), rec, cmds)
	require.NoError(t, err)
	assert.Len(t, objs, 1, "empty documents are skipped")
}

func TestWebhooksPointAtTheLocalIstiod(t *testing.T) {
	o := &unstructured.Unstructured{Object: map[string]any{"kind": "MutatingWebhookConfiguration", "metadata": map[string]any{"name": "istio-sidecar-injector"},
		"webhooks": []any{map[string]any{"name": "rev.namespace.sidecar-injector.istio.io",
			"clientConfig": map[string]any{"service": map[string]any{"name": "istiod", "namespace": "istio-system", "path": "/inject", "port": int64(443)}}}}}}
	require.NoError(t, controlplane.PointAtLocalIstiod(o, controlplane.InjectionWebhook{URL: "https://localhost:15017", CABundle: []byte("CA")}))
	hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
	assert.Equal(t, map[string]any{"url": "https://localhost:15017/inject", "caBundle": base64.StdEncoding.EncodeToString([]byte("CA"))},
		hooks[0].(map[string]any)["clientConfig"])
}

func TestSidecarConfigComesFromTheInjectedPod(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "egress-client", Namespace: "tetrate", Labels: map[string]string{"app": "egress-client"}},
		Spec: corev1.PodSpec{ServiceAccountName: "default", InitContainers: []corev1.Container{{Name: "istio-proxy", Env: []corev1.EnvVar{
			{Name: "ISTIO_META_CLUSTER_ID", Value: "Kubernetes"},
			{Name: "ISTIO_META_NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
		}}}}}
	_, err := controlplane.SidecarConfig(pod, "1.32.0")
	assert.EqualError(t, err, "pod tetrate/egress-client has no IP: istiod finds a sidecar's pod by it")

	pod.Status.PodIP = "10.244.0.10"
	cfg, err := controlplane.SidecarConfig(pod, "1.32.0")
	require.NoError(t, err)
	assert.Equal(t, "10.244.0.10", cfg.IP)
	assert.Equal(t, "egress-client", cfg.Workload)
	meta := cfg.Meta.AsMap()
	assert.Equal(t, "Kubernetes", meta["CLUSTER_ID"])
	assert.NotContains(t, meta, "NODE_NAME", "downward API values are not known here")
	assert.Equal(t, map[string]any{"app": "egress-client"}, meta["LABELS"], "the DestinationRule's workloadSelector matches these")
	assert.Equal(t, "1.32.0", meta["ISTIO_VERSION"])

	pod.Spec.InitContainers = nil
	_, err = controlplane.SidecarConfig(pod, "1.32.0")
	assert.EqualError(t, err, "pod tetrate/egress-client has no istio-proxy container: it was not injected")
}

func TestFreePortsAreDistinct(t *testing.T) {
	p, err := controlplane.FreePorts()
	require.NoError(t, err)
	seen := map[int]bool{}
	for _, port := range []int{p.HTTP, p.GRPC, p.SecureGRPC, p.Monitoring, p.HTTPS} {
		assert.False(t, seen[port])
		seen[port] = true
	}
	assert.Contains(t, p.Args("/kc"), "127.0.0.1:"+strconv.Itoa(p.HTTPS))
}
