package istio

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
)

func TestInstallAndUninstallCommands(t *testing.T) {
	cfg := config.Config{IstioVersion: "1.32.0", IstioChartRepo: "https://charts.example/istio", RunID: "abcd1234"}
	rec := &command.Recorder{}
	assert.NoError(t, Run(context.Background(), rec, InstallCommands("/bin/helm", "/kc", cfg)))
	assert.NoError(t, Run(context.Background(), rec, UninstallCommands("/bin/helm", "/kc")))
	assert.Equal(t, []string{
		"/bin/helm install istio-base base --repo https://charts.example/istio --version 1.32.0 --namespace istio-system --labels egress-conformance.io/run-id=abcd1234 --wait --timeout 10m --kubeconfig /kc --create-namespace",
		"/bin/helm install istiod istiod --repo https://charts.example/istio --version 1.32.0 --namespace istio-system --labels egress-conformance.io/run-id=abcd1234 --wait --timeout 10m --kubeconfig /kc --set meshConfig.outboundTrafficPolicy.mode=ALLOW_ANY",
		"/bin/helm uninstall istiod --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
		"/bin/helm uninstall istio-base --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
	}, rec.Lines())
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	cmds := InstallCommands("helm", "/kc", config.Config{IstioVersion: "1.31.2", IstioChartRepo: "r", RunID: "x"})
	rec := &command.Recorder{Replies: map[string]command.Reply{
		joined(cmds[0]): {Err: errors.New("helm install istio-base base ...: exit status 1: Error: INSTALLATION FAILED: cannot re-use a name that is still in use")},
	}}
	err := Run(context.Background(), rec, cmds)
	assert.EqualError(t, err, "istio: helm install istio-base base ...: exit status 1: Error: INSTALLATION FAILED: cannot re-use a name that is still in use")
	assert.Len(t, rec.Calls, 1)
}

func joined(argv []string) string {
	s := argv[0]
	for _, a := range argv[1:] {
		s += " " + a
	}
	return s
}
