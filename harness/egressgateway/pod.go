package egressgateway

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
)

// ReadyPod is a running, ready pod of the gateway, found by the labels its
// Service selects: the live tier reads its Envoy. The chart's install waits
// for one (helm --wait); istiod deploys a Gateway API gateway with the
// scenario's fixtures, and the live flow waits for its Deployment.
func (g Gateway) ReadyPod(ctx context.Context, res *resources.Resources) (namespace, name string, err error) {
	return g.pod(ctx, res, "running and ready ", func(p corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning && ready(p) })
}

// AnyPod is a pod of the gateway that is not being deleted, ready or not:
// diagnostics want the log of the one that fails to start too.
func (g Gateway) AnyPod(ctx context.Context, res *resources.Resources) (namespace, name string, err error) {
	return g.pod(ctx, res, "", func(corev1.Pod) bool { return true })
}

func (g Gateway) pod(ctx context.Context, res *resources.Resources, what string, want func(corev1.Pod) bool) (string, string, error) {
	var pods corev1.PodList
	selector := labels.SelectorFromSet(g.SelectorLabels()).String()
	// A field selector, not WithNamespace: that sets the namespace of the
	// shared Resources, which every other List in the harness leaves at "".
	if err := res.WithNamespace("").List(ctx, &pods, resources.WithLabelSelector(selector), resources.WithFieldSelector("metadata.namespace="+g.Namespace)); err != nil {
		return "", "", fmt.Errorf("egress gateway %s: list its pods (%s): %v", g, selector, err)
	}
	for _, p := range pods.Items {
		if p.Namespace == g.Namespace && p.DeletionTimestamp == nil && want(p) {
			return p.Namespace, p.Name, nil
		}
	}
	return "", "", fmt.Errorf("egress gateway %s: no %spod labelled %s in %s", g, what, selector, g.Namespace)
}

func ready(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
