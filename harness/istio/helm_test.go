package istio

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
)

func TestInstallCommands(t *testing.T) {
	cfg := config.Config{IstioVersion: "1.32.0", IstioChartRepo: "https://charts.example/istio", RunID: "abcd1234"}
	rec := &command.Recorder{}
	assert.NoError(t, Run(context.Background(), rec, InstallCommands("/bin/helm", "/kc", cfg)))
	assert.Equal(t, []string{
		"/bin/helm install istio-base base --repo https://charts.example/istio --version 1.32.0 --namespace istio-system --labels egress-conformance.io/run-id=abcd1234 --wait --timeout 10m --kubeconfig /kc",
		"/bin/helm install istiod istiod --repo https://charts.example/istio --version 1.32.0 --namespace istio-system --labels egress-conformance.io/run-id=abcd1234 --wait --timeout 10m --kubeconfig /kc --set meshConfig.outboundTrafficPolicy.mode=ALLOW_ANY --set global.hub=docker.io/istio --set global.tag=1.32.0",
	}, rec.Lines())
}

func TestUninstallRemovesOnlyTheRunsLabelledReleases(t *testing.T) {
	list := "/bin/helm list --namespace istio-system --selector egress-conformance.io/run-id=abcd1234 --short --kubeconfig /kc"
	for name, tc := range map[string]struct {
		listed string
		want   []string
	}{
		"both installed: istiod first, whatever order helm lists them in": {"istio-base\nistiod\n", []string{
			list,
			"/bin/helm uninstall istiod --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
			"/bin/helm uninstall istio-base --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
		}},
		"interrupted after base: no uninstall of a release that never was": {"istio-base\n", []string{
			list,
			"/bin/helm uninstall istio-base --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
		}},
		"nothing labelled with this run (a foreign istio-base stays)": {"", []string{list}},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &command.Recorder{Replies: map[string]command.Reply{list: {Out: []byte(tc.listed)}}}
			assert.NoError(t, Uninstall(context.Background(), rec, "/bin/helm", "/kc", "abcd1234"))
			assert.Equal(t, tc.want, rec.Lines())
		})
	}
}

func TestUninstallStopsWhenReleasesCannotBeListed(t *testing.T) {
	rec := &command.Recorder{Replies: map[string]command.Reply{
		strings.Join(ReleasesCommand("helm", "/kc", "x"), " "): {Err: errors.New("helm list ...: exit status 1: Error: Kubernetes cluster unreachable")},
	}}
	err := Uninstall(context.Background(), rec, "helm", "/kc", "x")
	assert.EqualError(t, err, "istio: helm list ...: exit status 1: Error: Kubernetes cluster unreachable")
	assert.Len(t, rec.Calls, 1, "nothing is uninstalled blind")
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	cmds := InstallCommands("helm", "/kc", config.Config{IstioVersion: "1.31.2", IstioChartRepo: "r", RunID: "x"})
	rec := &command.Recorder{Replies: map[string]command.Reply{
		strings.Join(cmds[0], " "): {Err: errors.New("helm install istio-base base ...: exit status 1: Error: INSTALLATION FAILED: cannot re-use a name that is still in use")},
	}}
	err := Run(context.Background(), rec, cmds)
	assert.EqualError(t, err, "istio: helm install istio-base base ...: exit status 1: Error: INSTALLATION FAILED: cannot re-use a name that is still in use")
	assert.Len(t, rec.Calls, 1)
}

// TestImagesAreWhatTheInstallSets: the images E2E_PRELOAD_IMAGES loads are
// the hub and tag the istiod install sets (TestInstallCommands).
func TestImagesAreWhatTheInstallSets(t *testing.T) {
	assert.Equal(t, []string{"docker.io/istio/pilot:1.31.2", "docker.io/istio/proxyv2:1.31.2"}, Images("1.31.2"))
}
