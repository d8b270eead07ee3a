package controlplane

import (
	"context"
	"encoding/base64"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"istio-egress-conformance/harness/istio"
)

// appliedKinds are what an API server without nodes can hold and istiod needs:
// its identity and permissions, the mesh and injector config, and the
// injection webhook. The CRDs come from the same module's crd-all.gen.yaml,
// installed with the API server. Left out: istiod's Deployment, Service and
// autoscaler (istiod runs as a local process instead) and the validating
// webhooks (istiod validates what the fixture loader already validated with
// Istio's own code).
var appliedKinds = map[string]bool{
	"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true, "Role": true, "RoleBinding": true,
	"ConfigMap": true, "MutatingWebhookConfiguration": true,
}

// InjectionWebhook names the local istiod's injection endpoint and the CA its
// serving certificate chains to.
type InjectionWebhook struct {
	// URL is istiod's HTTPS address, such as https://localhost:15017.
	URL      string
	CABundle []byte
}

const webhookKind = "MutatingWebhookConfiguration"

// applyConfig creates istio-system and the rendered objects of appliedKinds
// but the injection webhook, which needs istiod's CA: istiod makes it when it
// starts. It returns what it left out.
func applyConfig(ctx context.Context, res *resources.Resources, objs []*unstructured.Unstructured) ([]string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: istio.Namespace}}
	if err := res.Create(ctx, ns); err != nil {
		return nil, fmt.Errorf("create namespace %s: %v", istio.Namespace, err)
	}
	var skipped []string
	for _, o := range objs {
		switch {
		case o.GetKind() == webhookKind:
		case !appliedKinds[o.GetKind()]:
			skipped = append(skipped, o.GetKind()+" "+o.GetName())
		default:
			if err := res.Create(ctx, o); err != nil {
				return nil, fmt.Errorf("apply rendered %s %s: %v", o.GetKind(), o.GetName(), err)
			}
		}
	}
	return skipped, nil
}

// applyInjectionWebhook creates the rendered injection webhook configurations,
// pointed at the local istiod.
func applyInjectionWebhook(ctx context.Context, res *resources.Resources, objs []*unstructured.Unstructured, hook InjectionWebhook) error {
	found := false
	for _, o := range objs {
		if o.GetKind() != webhookKind {
			continue
		}
		found = true
		o = o.DeepCopy()
		if err := PointAtLocalIstiod(o, hook); err != nil {
			return err
		}
		if err := res.Create(ctx, o); err != nil {
			return fmt.Errorf("apply rendered %s %s: %v", webhookKind, o.GetName(), err)
		}
	}
	if !found {
		return fmt.Errorf("the rendered istiod chart has no %s: nothing would inject the sidecar", webhookKind)
	}
	return nil
}

// PointAtLocalIstiod replaces each webhook's in-cluster Service with the local
// istiod's URL (same path) and CA bundle.
func PointAtLocalIstiod(o *unstructured.Unstructured, hook InjectionWebhook) error {
	hooks, _, err := unstructured.NestedSlice(o.Object, "webhooks")
	if err != nil {
		return fmt.Errorf("rendered MutatingWebhookConfiguration %s: %v", o.GetName(), err)
	}
	for i, h := range hooks {
		m, ok := h.(map[string]any)
		if !ok {
			return fmt.Errorf("rendered MutatingWebhookConfiguration %s: webhook %d is not an object", o.GetName(), i)
		}
		path, _, _ := unstructured.NestedString(m, "clientConfig", "service", "path")
		m["clientConfig"] = map[string]any{"url": hook.URL + path, "caBundle": base64.StdEncoding.EncodeToString(hook.CABundle)}
	}
	return unstructured.SetNestedSlice(o.Object, hooks, "webhooks")
}
