// Package istio installs Istio from its Helm charts (base, istiod, and the
// gateway chart for egress gateways) with the pinned helm, and removes only
// the releases the run installed.
package istio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/oneline"
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
// Envoy's access log on stdout is what istio.io's egress tests assert on (the
// gateway's log naming outbound|80||edition.cnn.com; their setup sets
// meshConfig.accessLogFile=/dev/stdout): a failed scenario's diagnostics hold
// both proxies' logs.
func IstiodValues() []string {
	return []string{"--set", "meshConfig.outboundTrafficPolicy.mode=ALLOW_ANY", "--set", "meshConfig.accessLogFile=/dev/stdout"}
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

// ReleasesCommand lists, as JSON, the releases labelled with the run id in
// every namespace (Istio's, and egress gateways'), in any state but
// uninstalled and superseded: a release whose install or uninstall was
// killed half-way is "pending-install" or "uninstalling" (helm v4
// pkg/action/list.go, SetStateMask).
func ReleasesCommand(helm, kubeconfig, runID string) []string {
	return []string{helm, "list", "--all-namespaces", "--deployed", "--failed", "--pending", "--uninstalling", "--selector", config.RunIDLabel + "=" + runID,
		"--output", "json", "--kubeconfig", kubeconfig}
}

// release is one entry of `helm list --output json` (helm v4 pkg/cmd/list.go, releaseElement).
type release struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// UninstallCommands remove the listed releases (the output of
// ReleasesCommand), gateways before istiod before base, and nothing else: a
// release the run did not label, or never got to install, is left alone.
func UninstallCommands(helm, kubeconfig string, listed []byte) ([][]string, error) {
	var releases []release
	if len(bytes.TrimSpace(listed)) == 0 {
		return nil, nil // helm prints [] for none; nothing at all is none too
	}
	if err := json.Unmarshal(listed, &releases); err != nil {
		return nil, fmt.Errorf("helm list --output json: expected a JSON list of releases: %v", oneline.Of(err))
	}
	slices.SortStableFunc(releases, func(a, b release) int { return uninstallRank(a) - uninstallRank(b) })
	var cmds [][]string
	for _, r := range releases {
		cmds = append(cmds, []string{helm, "uninstall", r.Name, "--namespace", r.Namespace, "--wait", "--timeout", "5m", "--kubeconfig", kubeconfig})
	}
	return cmds, nil
}

// uninstallRank orders Istio's releases last, base after istiod: base holds
// the CRDs istiod serves, istiod the gateways' config.
func uninstallRank(r release) int {
	switch {
	case r.Namespace == Namespace && r.Name == BaseRelease:
		return 2
	case r.Namespace == Namespace && r.Name == Istiod:
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
	cmds, err := UninstallCommands(helm, kubeconfig, listed)
	if err != nil {
		return fmt.Errorf("istio: %v", err)
	}
	return Run(ctx, runner, cmds)
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
