// Package istio installs Istio from its Helm charts (base, istiod) with the
// pinned helm, waits for istiod, and removes only what the run installed.
package istio

import (
	"context"
	"fmt"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
)

// Namespace, releases and the Deployment an install creates.
const (
	Namespace   = "istio-system"
	BaseRelease = "istio-base"
	Istiod      = "istiod"
)

// InstallCommands are the helm invocations that install Istio, in order.
// outboundTrafficPolicy ALLOW_ANY is what sends HTTPS to unknown hosts through
// the PassthroughCluster; `helm install` (not upgrade) refuses to touch a
// release that already exists.
func InstallCommands(helm, kubeconfig string, cfg config.Config) [][]string {
	common := []string{"--repo", cfg.IstioChartRepo, "--version", cfg.IstioVersion, "--namespace", Namespace,
		"--labels", config.RunIDLabel + "=" + cfg.RunID, "--wait", "--timeout", "10m", "--kubeconfig", kubeconfig}
	base := append([]string{helm, "install", BaseRelease, "base"}, common...)
	base = append(base, "--create-namespace")
	istiod := append([]string{helm, "install", Istiod, "istiod"}, common...)
	istiod = append(istiod, "--set", "meshConfig.outboundTrafficPolicy.mode=ALLOW_ANY")
	return [][]string{base, istiod}
}

// UninstallCommands remove the releases in reverse order.
func UninstallCommands(helm, kubeconfig string) [][]string {
	return [][]string{
		{helm, "uninstall", Istiod, "--namespace", Namespace, "--wait", "--timeout", "5m", "--kubeconfig", kubeconfig},
		{helm, "uninstall", BaseRelease, "--namespace", Namespace, "--wait", "--timeout", "5m", "--kubeconfig", kubeconfig},
	}
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
