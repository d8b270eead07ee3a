package istio

import (
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
)

// GatewayInstallCommand installs an egress gateway from Istio's gateway chart
// at the Istio version the run uses, with egressgateway.Values, labelled with
// the run id (how teardown finds the release) and ready when it returns
// (--wait: the Deployment's pod is up). The caller has checked that no
// Deployment of that name runs: `helm install` also refuses a release name
// in use, but not a gateway someone installed another way.
func GatewayInstallCommand(helm, kubeconfig string, cfg config.Config, g egressgateway.Gateway) []string {
	cmd := []string{helm, "install", g.Name, egressgateway.ChartName, "--repo", cfg.IstioChartRepo, "--version", cfg.IstioVersion,
		"--namespace", g.Namespace, "--labels", config.RunIDLabel + "=" + cfg.RunID, "--wait", "--timeout", "5m", "--kubeconfig", kubeconfig}
	return append(cmd, egressgateway.Values()...)
}
