package controlplane

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"

	"istio-egress-conformance/harness/egressgateway"
)

// managedObjects are what istiod's deployment controller makes for a Gateway
// API Gateway (istio-discovery chart, files/kube-gateway.yaml): its
// Deployment, Service and service account, all named g.ServiceName().
func managedObjects(g egressgateway.Gateway) []k8s.Object {
	objs := []k8s.Object{&appsv1.Deployment{}, &corev1.Service{}, &corev1.ServiceAccount{}}
	for _, o := range objs {
		o.SetName(g.ServiceName())
		o.SetNamespace(g.Namespace)
	}
	return objs
}

// checkManaged waits until istiod has deployed the Gateway API gateway and
// checks that it made what every tier assumes (egressgateway.Gateway): the
// Service's selector and ports, the pods' labels and service account. The
// gateway's xDS client then connects as those pods. It returns the image
// istiod gave the gateway's proxy.
func checkManaged(ctx context.Context, res *resources.Resources, g egressgateway.Gateway, within time.Duration) (string, error) {
	var svc corev1.Service
	var dep appsv1.Deployment
	err := wait.For(func(ctx context.Context) (bool, error) {
		errSvc := res.Get(ctx, g.ServiceName(), g.Namespace, &svc)
		errDep := res.Get(ctx, g.ServiceName(), g.Namespace, &dep)
		if apierrors.IsNotFound(errSvc) || apierrors.IsNotFound(errDep) {
			return false, nil
		}
		return true, errors.Join(errSvc, errDep)
	}, wait.WithContext(ctx), wait.WithTimeout(within), wait.WithInterval(100*time.Millisecond))
	if err != nil {
		return "", fmt.Errorf("egress gateway %s: istiod's deployment controller made no Service and Deployment %s within %s: %v", g, g.ServiceName(), within, err)
	}
	var image string
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == "istio-proxy" {
			image = c.Image
		}
	}
	return image, managedDiffers(g, &svc, &dep)
}

// managedDiffers names the first way istiod's objects differ from the model.
func managedDiffers(g egressgateway.Gateway, svc *corev1.Service, dep *appsv1.Deployment) error {
	want := g.Service()
	if !maps.Equal(svc.Spec.Selector, want.Spec.Selector) {
		return fmt.Errorf("egress gateway %s: istiod's Service selects %v, every tier assumes %v", g, svc.Spec.Selector, want.Spec.Selector)
	}
	if svc.Spec.Type != want.Spec.Type {
		return fmt.Errorf("egress gateway %s: istiod's Service is of type %s, every tier assumes %s", g, svc.Spec.Type, want.Spec.Type)
	}
	port := func(p corev1.ServicePort) string {
		app := ""
		if p.AppProtocol != nil {
			app = *p.AppProtocol
		}
		// The API server sets an absent targetPort to the port.
		target := p.TargetPort.String()
		if p.TargetPort.IntVal == 0 && p.TargetPort.StrVal == "" {
			target = fmt.Sprint(p.Port)
		}
		return fmt.Sprintf("%s %d->%s %s", p.Name, p.Port, target, app)
	}
	got, exp := portStrings(svc.Spec.Ports, port), portStrings(want.Spec.Ports, port)
	if !slices.Equal(got, exp) {
		return fmt.Errorf("egress gateway %s: istiod's Service ports are %v, every tier assumes %v", g, got, exp)
	}
	labels := dep.Spec.Template.Labels
	for k, v := range g.PodLabels() {
		if labels[k] != v {
			return fmt.Errorf("egress gateway %s: istiod's pods carry %s=%q, every tier assumes %q", g, k, labels[k], v)
		}
	}
	if _, ok := labels["security.istio.io/tlsMode"]; ok {
		return fmt.Errorf("egress gateway %s: istiod's pods carry security.istio.io/tlsMode: the sidecar would send mTLS, every tier assumes plain text", g)
	}
	if sa := dep.Spec.Template.Spec.ServiceAccountName; sa != g.ServiceAccount() {
		return fmt.Errorf("egress gateway %s: istiod's pods run as %q, every tier assumes %q", g, sa, g.ServiceAccount())
	}
	return nil
}

func portStrings(ports []corev1.ServicePort, f func(corev1.ServicePort) string) []string {
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = f(p)
	}
	return out
}

// removeManaged deletes what istiod deployed for the Gateway, after the
// Gateway itself: an API server without a controller manager has no garbage
// collector to follow their owner references. istiod re-creates an object
// while its informer still holds the Gateway, so the deletes start once the
// Gateway is gone from the API server, and repeat until all of them stay
// gone for three passes in a row.
func removeManaged(ctx context.Context, res *resources.Resources, g egressgateway.Gateway, within time.Duration) error {
	gone := 0
	err := wait.For(func(ctx context.Context) (bool, error) {
		if err := res.Get(ctx, g.Name, g.Namespace, g.API.DeepCopy()); err == nil {
			return false, nil // still there (or being deleted)
		} else if !apierrors.IsNotFound(err) {
			return false, err
		}
		deleted := false
		for _, o := range managedObjects(g) {
			err := res.Delete(ctx, o)
			if err == nil {
				deleted = true
			} else if !apierrors.IsNotFound(err) {
				return false, err
			}
		}
		if deleted {
			gone = 0
		} else {
			gone++
		}
		return gone >= 3, nil
	}, wait.WithContext(ctx), wait.WithTimeout(within), wait.WithInterval(100*time.Millisecond))
	if err != nil {
		return fmt.Errorf("egress gateway %s: delete what istiod deployed (%s): %v", g, g.ServiceName(), err)
	}
	return nil
}
