// Package cluster provides the Kubernetes cluster for the live tier: an
// existing one from KUBECONFIG, used as is and never deleted, or a kind
// cluster created through e2e-framework's provider with the kind binary
// pinned in go.mod (never the provider's own `go install`).
package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
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

// LoadImages copies images from the local Docker engine into the cluster's
// nodes, for the nodes' platform (NodePlatform), each through an archive in
// dir. Every image must be there first: a missing one is a one-line error
// naming it, before anything is loaded.
//
// Not `kind load docker-image`: kind v0.33.0 saves with a plain `docker save`
// and its nodes import with `ctr images import --all-platforms`
// (pkg/cluster/nodeutils/util.go, LoadImageArchive). Docker Engine 29's
// default containerd image store lists every platform of a multi-platform
// image but holds only the pulled one, so the import fails with "content
// digest not found" (kind issue #3795). The workaround kind's maintainers
// document (kind PR #4247) is what this does: `docker image save --platform`
// (Docker CLI 28 or later, one platform) and `kind load image-archive`.
func (k *Kind) LoadImages(ctx context.Context, runner command.Runner, platform, dir string, images []string) error {
	for _, image := range images {
		if _, err := runner.Run(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", image); err != nil {
			return fmt.Errorf("E2E_PRELOAD_IMAGES=1: image %s is not in the local Docker engine (docker pull --platform %s %s, or docker load it, first): %v", image, platform, image, err)
		}
	}
	for i, image := range images {
		archive := filepath.Join(dir, fmt.Sprintf("image-%d.tar", i))
		if _, err := runner.Run(ctx, "docker", "image", "save", "--platform", platform, "--output", archive, image); err != nil {
			return fmt.Errorf("E2E_PRELOAD_IMAGES=1: save %s for %s (needs Docker 28 or later, and the image pulled for that platform): %v", image, platform, err)
		}
		if _, err := runner.Run(ctx, k.Path, "load", "image-archive", archive, "--name", k.Name); err != nil {
			return fmt.Errorf("E2E_PRELOAD_IMAGES=1: load %s into kind cluster %s: %v", image, k.Name, err)
		}
	}
	return nil
}

// NodePlatform is the nodes' platform as Docker names it (os/arch, such as
// linux/amd64): the kubelet reports its own build's GOOS and GOARCH in
// status.nodeInfo. Nodes of different platforms are an error: one archive
// per image serves one platform.
func NodePlatform(nodes []corev1.Node) (string, error) {
	platform := ""
	for _, n := range nodes {
		p := n.Status.NodeInfo.OperatingSystem + "/" + n.Status.NodeInfo.Architecture
		switch {
		case n.Status.NodeInfo.OperatingSystem == "" || n.Status.NodeInfo.Architecture == "":
			return "", fmt.Errorf("node %s reports no operating system or architecture in status.nodeInfo", n.Name)
		case platform != "" && p != platform:
			return "", fmt.Errorf("nodes of two platforms (%s and %s): E2E_PRELOAD_IMAGES=1 loads one platform", platform, p)
		}
		platform = p
	}
	if platform == "" {
		return "", fmt.Errorf("the cluster has no nodes to load images into")
	}
	return platform, nil
}

// ExportLogs writes `kind export logs` into dir.
func (k *Kind) ExportLogs(ctx context.Context, dir string) error {
	return k.Provider().ExportLogs(ctx, dir)
}
