// Package istio installs Istio from its Helm charts (base, istiod) with the
// pinned helm, waits for istiod, and removes only what the run installed.
package istio

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
)

// Namespace, releases and the Deployment an install creates.
const (
	Namespace   = "istio-system"
	BaseRelease = "istio-base"
	Istiod      = "istiod"
)

// IstiodValues are the istiod chart values every tier installs with, as helm
// --set arguments: the live tier's `helm install` and the control-plane
// tier's `helm template` of the pinned module's chart. outboundTrafficPolicy
// ALLOW_ANY is what sends HTTPS to unknown hosts through the PassthroughCluster.
func IstiodValues() []string {
	return []string{"--set", "meshConfig.outboundTrafficPolicy.mode=ALLOW_ANY"}
}

// Hub is where Istio's release images live. Istio's published charts say so
// themselves (istio/release-builder pkg/build/helm.go rewrites the charts'
// hub and tag at release); the install also sets it, so that the images a
// run pulls, and E2E_PRELOAD_IMAGES loads, are known before the charts are.
const Hub = "docker.io/istio"

// Images are the images an install of the version pulls: istiod's, and the
// proxy every injected sidecar runs (hub/proxyv2:tag: Istio
// pkg/kube/inject/inject.go, imageURL, with the chart's default variant).
func Images(version string) []string {
	return []string{Hub + "/pilot:" + version, Hub + "/proxyv2:" + version}
}

// InstallCommands are the helm invocations that install Istio, in order, with
// IstiodValues; `helm install` (not upgrade) refuses to touch a
// release that already exists. The releases carry the run-id label, which is
// how teardown finds them. The namespace is the caller's: it labels it too.
func InstallCommands(helm, kubeconfig string, cfg config.Config) [][]string {
	common := []string{"--repo", cfg.IstioChartRepo, "--version", cfg.IstioVersion, "--namespace", Namespace,
		"--labels", config.RunIDLabel + "=" + cfg.RunID, "--wait", "--timeout", "10m", "--kubeconfig", kubeconfig}
	base := append([]string{helm, "install", BaseRelease, "base"}, common...)
	istiod := append([]string{helm, "install", Istiod, "istiod"}, common...)
	istiod = append(istiod, IstiodValues()...)
	istiod = append(istiod, "--set", "global.hub="+Hub, "--set", "global.tag="+cfg.IstioVersion)
	return [][]string{base, istiod}
}

// ReleasesCommand lists, one name per line, the releases labelled with the run id.
func ReleasesCommand(helm, kubeconfig, runID string) []string {
	return []string{helm, "list", "--namespace", Namespace, "--selector", config.RunIDLabel + "=" + runID, "--short", "--kubeconfig", kubeconfig}
}

// UninstallCommands remove the listed releases (the output of
// ReleasesCommand), istiod before base, and nothing else: a release the run
// did not label, or never got to install, is left alone.
func UninstallCommands(helm, kubeconfig string, listed []byte) [][]string {
	names := strings.Fields(string(listed))
	slices.SortFunc(names, func(a, b string) int { return uninstallRank(a) - uninstallRank(b) })
	var cmds [][]string
	for _, name := range names {
		cmds = append(cmds, []string{helm, "uninstall", name, "--namespace", Namespace, "--wait", "--timeout", "5m", "--kubeconfig", kubeconfig})
	}
	return cmds
}

// uninstallRank orders istiod first: base holds the CRDs istiod serves.
func uninstallRank(release string) int {
	if release == BaseRelease {
		return 1
	}
	return 0
}

// Uninstall removes the releases this run installed, found by their run-id label.
func Uninstall(ctx context.Context, runner command.Runner, helm, kubeconfig, runID string) error {
	listed, err := runner.Run(ctx, ReleasesCommand(helm, kubeconfig, runID)...)
	if err != nil {
		return fmt.Errorf("istio: %v", err)
	}
	return Run(ctx, runner, UninstallCommands(helm, kubeconfig, listed))
}

// Run runs commands in order and stops at the first failure.
func Run(ctx context.Context, runner command.Runner, cmds [][]string) error {
	for _, c := range cmds {
		if _, err := runner.Run(ctx, c...); err != nil {
			return fmt.Errorf("istio: %v", err)
		}
	}
	return nil
}
