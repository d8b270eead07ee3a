package live

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/cluster"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/workload"
)

// serveExternalHost serves, in hermetic mode, the hosts of the scenarios the
// run runs from the run's own server.
func (r *Run) serveExternalHost(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	return ctx, r.setupExternalHost(ctx, cfg, facts.Hosts(r.runnableScenarios(cfg)...))
}

// createCluster creates a kind cluster, or takes the one in KUBECONFIG.
func (r *Run) createCluster(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	if r.Report.Mode == preflight.ModeExisting {
		return ctx, r.phase("cluster: use the existing cluster in "+r.Cfg.Kubeconfig+" ("+r.Report.ServerVersion+"), never deleted", func() error {
			if r.Cfg.PreloadImages {
				return fmt.Errorf("E2E_PRELOAD_IMAGES=1 loads images into a kind cluster the run creates; for the cluster in KUBECONFIG, load %s into it yourself",
					strings.Join(append([]string{r.Cfg.ClientImage, r.Cfg.ServerImage}, istio.Images(r.Cfg.IstioVersion)...), ", "))
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
	images := append([]string{r.Cfg.ClientImage, r.Cfg.ServerImage}, istio.Images(r.Cfg.IstioVersion)...)
	return ctx, r.phase(fmt.Sprintf("cluster: load %s from the local Docker engine (E2E_PRELOAD_IMAGES=1)", strings.Join(images, ", ")), func() error {
		var nodes corev1.NodeList
		if err := cfg.Client().Resources().List(ctx, &nodes); err != nil {
			return fmt.Errorf("list the kind nodes: %v", err)
		}
		platform, err := cluster.NodePlatform(nodes.Items)
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "egress-conformance-images-")
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(dir) }()
		return k.LoadImages(ctx, r.Runner, platform, dir, images)
	})
}

// installIstio installs Istio's Helm charts at the run's version, unless the
// cluster already has it.
func (r *Run) installIstio(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
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
			if err := apply.CreateAll(ctx, res, []workload.Object{workload.PlainNamespace(istio.Namespace, r.ownerLabels(""))}); err != nil {
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
// the run's CA (hermetic mode only). Nothing cluster-wide changes: each client
// pod's hostAliases point its scenario's hosts at the server (applyScenario).
func (r *Run) setupExternalHost(ctx context.Context, cfg *envconf.Config, hosts []string) error {
	if !r.Hermetic() {
		return r.phase("external host: the real Internet hosts (E2E_EXTERNAL=internet)", func() error { return nil })
	}
	res := cfg.Client().Resources()
	return r.phase(fmt.Sprintf("external host: hermetic HTTPS server for %v", hosts), func() error {
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
		if err := apply.CreateAll(ctx, res, objs); err != nil {
			return err
		}
		pod := objs[len(objs)-1].(*corev1.Pod)
		if err := wait.For(conditions.New(res).PodReady(pod), wait.WithTimeout(3*time.Minute), wait.WithInterval(time.Second), wait.WithContext(ctx)); err != nil {
			return fmt.Errorf("hermetic server %s/%s not ready: %v", pod.Namespace, pod.Name, err)
		}
		if err := res.Get(ctx, pod.Name, pod.Namespace, pod); err != nil {
			return err
		}
		r.serverIPs = workload.PodIPs(pod)
		if len(r.serverIPs) == 0 {
			return fmt.Errorf("hermetic server %s/%s is ready but has no IP in its status", pod.Namespace, pod.Name)
		}
		return nil
	})
}

// serverNamespace is the hermetic host's namespace, with the run id as suffix
// under E2E_UNIQUE_NAMESPACES=1.
func (r *Run) serverNamespace() string {
	if r.Cfg.UniqueNamespaces {
		return workload.ServerNamespace + "-" + r.Cfg.RunID
	}
	return workload.ServerNamespace
}
