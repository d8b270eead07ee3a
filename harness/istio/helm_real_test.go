package istio

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/preflight"
)

// TestCommandsParseWithPinnedHelm runs the command lines with the helm pinned
// in go.mod against a cluster that does not exist: every flag must be one
// helm knows, so each command fails only on the network or the cluster.
func TestCommandsParseWithPinnedHelm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	helm, err := preflight.ToolPath(ctx, command.Exec{}, "helm")
	require.NoError(t, err)
	cfg := config.Config{IstioVersion: config.DefaultIstioVersion, IstioChartRepo: "https://127.0.0.1:1/charts", RunID: "abcd1234"}
	kubeconfig := "../../features/live/testdata/unreachable.kubeconfig"
	cmds := append(InstallCommands(helm, kubeconfig, cfg), ReleasesCommand(helm, kubeconfig, cfg.RunID),
		GatewayInstallCommand(helm, kubeconfig, cfg, egressgateway.Gateway{Namespace: Namespace, Name: "istio-egressgateway"}))
	uninstall, err := UninstallCommands(helm, kubeconfig, []byte(`[{"name":"istiod","namespace":"istio-system"},{"name":"istio-base","namespace":"istio-system"}]`))
	require.NoError(t, err)
	cmds = append(cmds, uninstall...)
	for _, c := range cmds {
		_, err := command.Exec{}.Run(ctx, c...)
		require.Error(t, err, "nothing listens there: %s", strings.Join(c, " "))
		assert.NotContains(t, err.Error(), "unknown flag")
		assert.NotContains(t, err.Error(), "invalid argument")
		assert.Regexp(t, "connection refused|cannot be reached|unreachable", err.Error())
	}
}
