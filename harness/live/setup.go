package live

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/cluster"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/workload"
)

// Setup returns the environment's setup steps, in order.
func (r *Run) Setup() []env.Func {
	return []env.Func{r.setupCluster, r.setupIstio, func(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
		return ctx, r.setupExternalHost(ctx, cfg, Hosts(r.runnable()))
	}}
}

func (r *Run) setupCluster(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	if r.Report.Mode == preflight.ModeExisting {
		return ctx, r.phase("cluster: use the existing cluster in "+r.Cfg.Kubeconfig+" ("+r.Report.ServerVersion+"), never deleted", func() error {
			if r.Cfg.PreloadImages {
				return fmt.Errorf("E2E_PRELOAD_IMAGES=1 loads images into a kind cluster the run creates; for the cluster in KUBECONFIG, load %s and %s into it yourself", r.Cfg.ClientImage, r.Cfg.ServerImage)
			}
			cfg.WithKubeconfigFile(r.Cfg.Kubeconfig)
			return nil
		})
	}
	k := cluster.NewKind(r.Report.Tools["kind"], r.Cfg)
	err := r.phase(fmt.Sprintf("cluster: create kind cluster %q (node image %s)", k.Name, k.Image), func() error {
		if err := k.CheckNoClash(ctx, r.Runner); err != nil {
			return err
		}
		r.kind = k // from here on, teardown deletes it, even if creation fails half-way
		return k.Create(ctx, cfg)
	})
	if err != nil || !r.Cfg.PreloadImages {
		return ctx, err
	}
	images := []string{r.Cfg.ClientImage, r.Cfg.ServerImage}
	return ctx, r.phase(fmt.Sprintf("cluster: load %s from the local Docker engine (E2E_PRELOAD_IMAGES=1)", strings.Join(images, ", ")), func() error {
		return k.LoadImages(ctx, r.Runner, images)
	})
}

func (r *Run) setupIstio(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	res := cfg.Client().Resources()
	var existing appsv1.Deployment
	err := res.Get(ctx, istio.Istiod, istio.Namespace, &existing)
	if err == nil {
		return ctx, r.phase("istio: istiod already runs in "+istio.Namespace+"; using it as is", func() error { return checkExistingIstio(ctx, res) })
	}
	if !apierrors.IsNotFound(err) {
		return ctx, fmt.Errorf("istio: cannot look for an existing istiod: %v", err)
	}
	nsErr := res.Get(ctx, istio.Namespace, "", &corev1.Namespace{})
	if nsErr != nil && !apierrors.IsNotFound(nsErr) {
		return ctx, fmt.Errorf("istio: cannot look for namespace %s: %v", istio.Namespace, nsErr)
	}
	return ctx, r.phase("istio: helm install base + istiod "+r.Cfg.IstioVersion+" (ALLOW_ANY)", func() error {
		if nsErr != nil { // made by the run, so labelled and deleted with its namespaces
			if err := createAll(ctx, res, []workload.Object{workload.PlainNamespace(istio.Namespace, r.ownerLabels(""))}); err != nil {
				return err
			}
		}
		r.installedIstio = true
		if err := istio.Run(ctx, r.Runner, istio.InstallCommands(r.Report.Tools["helm"], cfg.KubeconfigFile(), r.Cfg)); err != nil {
			return err
		}
		return wait.For(conditions.New(res).DeploymentAvailable(istio.Istiod, istio.Namespace), wait.WithTimeout(5*time.Minute), wait.WithContext(ctx))
	})
}

// checkExistingIstio refuses an istiod that would block unknown hosts. A
// revisioned install has no "istio" ConfigMap; it is used unchecked.
func checkExistingIstio(ctx context.Context, res *resources.Resources) error {
	var cm corev1.ConfigMap
	err := res.Get(ctx, istio.MeshConfigMap, istio.Namespace, &cm)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("istio: cannot read the mesh config %s/%s: %v", istio.Namespace, istio.MeshConfigMap, err)
	}
	return istio.CheckOutboundPolicy(cm.Data[istio.MeshConfigKey])
}

// setupExternalHost serves the hosts from an in-cluster HTTPS server signed by
// the run's CA and points the cluster DNS at it (hermetic mode only).
func (r *Run) setupExternalHost(ctx context.Context, cfg *envconf.Config, hosts []string) error {
	if !r.Hermetic() {
		return r.phase("external host: the real Internet hosts (E2E_EXTERNAL=internet)", func() error { return nil })
	}
	res := cfg.Client().Resources()
	err := r.phase(fmt.Sprintf("external host: hermetic HTTPS server for %v, CoreDNS override", hosts), func() error {
		ca, err := workload.NewCA(r.Cfg.RunID)
		if err != nil {
			return err
		}
		r.ca = ca
		certPEM, keyPEM, err := ca.Issue(hosts...)
		if err != nil {
			return err
		}
		objs := workload.ServerObjects(workload.ServerOptions{Namespace: r.serverNamespace(), Image: r.Cfg.ServerImage, Labels: r.ownerLabels(""),
			Hosts: hosts, CertPEM: certPEM, KeyPEM: keyPEM})
		if err := createAll(ctx, res, objs); err != nil {
			return err
		}
		pod := objs[len(objs)-1].(*corev1.Pod)
		if err := wait.For(conditions.New(res).PodReady(pod), wait.WithTimeout(3*time.Minute)); err != nil {
			return fmt.Errorf("hermetic server %s/%s not ready: %v", pod.Namespace, pod.Name, err)
		}
		if err := res.Get(ctx, pod.Name, pod.Namespace, pod); err != nil {
			return err
		}
		r.serverIP = pod.Status.PodIP
		return r.overrideDNS(ctx, res, hosts)
	})
	if err != nil {
		return err
	}
	return r.awaitDNSOverride(ctx, res, hosts)
}

// awaitDNSOverride restarts CoreDNS so that it serves the override now, then
// waits until the hosts resolve to the hermetic server: only then do clients
// (and their sidecars' DNS clusters) start.
func (r *Run) awaitDNSOverride(ctx context.Context, res *resources.Resources, hosts []string) error {
	err := r.phase(fmt.Sprintf("external host: restart CoreDNS (%s/%s) to load the override", workload.CoreDNSNamespace, workload.CoreDNSDeployment), func() error {
		return restartCoreDNS(ctx, res, r.Cfg.RunID, false, r.dnsTimings)
	})
	if err != nil {
		return err
	}
	return r.phase(fmt.Sprintf("external host: wait until %s resolve to %s", strings.Join(hosts, ", "), r.serverIP), func() error {
		resolve := r.resolve
		if resolve == nil {
			resolve = execResolver(res, r.serverNamespace())
		}
		return awaitResolution(ctx, resolve, hosts, r.serverIP, r.dnsTimings)
	})
}

func (r *Run) overrideDNS(ctx context.Context, res *resources.Resources, hosts []string) error {
	var cm corev1.ConfigMap
	if err := res.Get(ctx, workload.CoreDNSConfigMap, workload.CoreDNSNamespace, &cm); err != nil {
		return fmt.Errorf("coredns override: %v", err)
	}
	original := cm.Data[workload.CorefileKey]
	patched, err := workload.OverrideCorefile(original, r.serverIP, hosts)
	if err != nil {
		return err
	}
	cm.Data[workload.CorefileKey] = patched
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[workload.OriginalCorefileAnnotation] = original
	cm.Annotations[workload.OverrideRunAnnotation] = r.Cfg.RunID
	if err := res.Update(ctx, &cm); err != nil {
		return fmt.Errorf("coredns override: %v", err)
	}
	r.corefile = &original
	return nil
}

// createAll creates objects in order, labelled as the run's. An object that
// exists already is a clear error, never an overwrite.
func createAll(ctx context.Context, res *resources.Resources, objs []workload.Object) error {
	for _, o := range objs {
		err := res.Create(ctx, o)
		switch {
		case apierrors.IsAlreadyExists(err):
			return clash(ctx, res, o)
		case err != nil:
			return fmt.Errorf("create %s %s/%s: %v", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// clash says whose the existing object is: one an earlier scenario of this run
// left (kept, or still terminating), or someone else's.
func clash(ctx context.Context, res *resources.Resources, o workload.Object) error {
	what := fmt.Sprintf("%s %s/%s already exists", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName())
	existing := o.DeepCopyObject().(workload.Object)
	runID := o.GetLabels()[config.RunIDLabel]
	if runID != "" && res.Get(ctx, o.GetName(), o.GetNamespace(), existing) == nil && existing.GetLabels()[config.RunIDLabel] == runID {
		return fmt.Errorf("%s: scenario %s of this run left it (kept by E2E_KEEP, or still terminating); give the scenarios different namespaces or run them one at a time with --feature",
			what, existing.GetLabels()[config.ScenarioLabel])
	}
	return fmt.Errorf("%s and was not created by this run: remove it or use another cluster", what)
}

// serverNamespace is the hermetic host's namespace, with the run id as suffix
// under E2E_UNIQUE_NAMESPACES=1.
func (r *Run) serverNamespace() string {
	if r.Cfg.UniqueNamespaces {
		return workload.ServerNamespace + "-" + r.Cfg.RunID
	}
	return workload.ServerNamespace
}
