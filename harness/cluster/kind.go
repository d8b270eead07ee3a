// Package cluster provides the Kubernetes cluster for the live tier: an
// existing one from KUBECONFIG, used as is and never deleted, or a kind
// cluster created through e2e-framework's provider with the kind binary
// pinned in go.mod (never the provider's own `go install`).
package cluster

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/support"
	"sigs.k8s.io/e2e-framework/support/kind"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
)

// Kind is a kind cluster this run creates and deletes.
type Kind struct {
	Path     string // the pinned kind binary
	Name     string
	Image    string
	Config   string // optional kind config file
	provider support.E2EClusterProvider
}

// NewKind describes the cluster a run creates from the configuration.
func NewKind(kindPath string, cfg config.Config) *Kind {
	return &Kind{Path: kindPath, Name: cfg.KindCluster, Image: cfg.KindNodeImage, Config: cfg.KindConfig}
}

// CheckNoClash fails when a kind cluster of that name exists already: this
// run did not create it, so it must neither adopt nor delete it.
func (k *Kind) CheckNoClash(ctx context.Context, runner command.Runner) error {
	out, err := runner.Run(ctx, k.Path, "get", "clusters")
	if err != nil {
		return fmt.Errorf("kind: cannot list clusters: %v", err)
	}
	for _, name := range strings.Fields(string(out)) {
		if name == k.Name {
			return fmt.Errorf("kind cluster %q already exists and this run did not create it: reuse it with `%s export kubeconfig --name %s --kubeconfig <file>` and KUBECONFIG=<file>, or pick another name with E2E_KIND_CLUSTER", k.Name, k.Path, k.Name)
		}
	}
	return nil
}

// Provider is e2e-framework's kind provider set up with the pinned binary and node image.
func (k *Kind) Provider() support.E2EClusterProvider {
	if k.provider == nil {
		k.provider = kind.NewProvider().WithName(k.Name).WithOpts(kind.WithPath(k.Path), kind.WithImage(k.Image))
	}
	return k.provider
}

// Create creates the cluster, points cfg at it and waits for its control plane.
func (k *Kind) Create(ctx context.Context, cfg *envconf.Config) error {
	p := k.Provider()
	kubeconfig, err := p.CreateWithConfig(ctx, k.Config)
	if err != nil {
		return fmt.Errorf("kind: %v", err)
	}
	cfg.WithKubeconfigFile(kubeconfig)
	if err := p.WaitForControlPlane(ctx, cfg.Client()); err != nil {
		return fmt.Errorf("kind cluster %q: control plane not ready: %v", k.Name, err)
	}
	return nil
}

// Destroy deletes the cluster.
func (k *Kind) Destroy(ctx context.Context) error {
	return k.Provider().Destroy(ctx)
}

// LoadImages loads images from the local Docker engine into the cluster with
// e2e-framework's kind provider (`kind load docker-image`, what
// envfuncs.LoadImageToCluster runs). Every image must be there first: a
// missing one is a one-line error naming it, before anything is loaded.
func (k *Kind) LoadImages(ctx context.Context, runner command.Runner, images []string) error {
	for _, image := range images {
		if _, err := runner.Run(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", image); err != nil {
			return fmt.Errorf("E2E_PRELOAD_IMAGES=1: image %s is not in the local Docker engine (docker pull %s, or docker load it, first): %v", image, image, err)
		}
	}
	loader, ok := k.Provider().(support.E2EClusterProviderWithImageLoader)
	if !ok {
		return fmt.Errorf("kind: the cluster provider cannot load images")
	}
	for _, image := range images {
		if err := loader.LoadImage(ctx, image); err != nil {
			return err
		}
	}
	return nil
}

// ExportLogs writes `kind export logs` into dir.
func (k *Kind) ExportLogs(ctx context.Context, dir string) error {
	return k.Provider().ExportLogs(ctx, dir)
}
