package istio

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
)

func TestInstallCommands(t *testing.T) {
	cfg := config.Config{IstioVersion: "1.32.0", IstioChartRepo: "https://charts.example/istio", RunID: "abcd1234"}
	rec := &command.Recorder{}
	assert.NoError(t, Run(context.Background(), rec, InstallCommands("/bin/helm", "/kc", cfg)))
	assert.Equal(t, []string{
		"/bin/helm install istio-base base --repo https://charts.example/istio --version 1.32.0 --namespace istio-system --labels egress-conformance.io/run-id=abcd1234 --wait --timeout 10m --kubeconfig /kc",
		"/bin/helm install istiod istiod --repo https://charts.example/istio --version 1.32.0 --namespace istio-system --labels egress-conformance.io/run-id=abcd1234 --wait --timeout 10m --kubeconfig /kc --set meshConfig.outboundTrafficPolicy.mode=ALLOW_ANY --set meshConfig.accessLogFile=/dev/stdout --set global.hub=docker.io/istio --set global.tag=1.32.0",
	}, rec.Lines())
}

func TestUninstallRemovesOnlyTheRunsLabelledReleases(t *testing.T) {
	list := "/bin/helm list --all-namespaces --deployed --failed --pending --uninstalling --selector egress-conformance.io/run-id=abcd1234 --output json --kubeconfig /kc"
	for name, tc := range map[string]struct {
		listed string
		want   []string
	}{
		"gateways, then istiod, then base, whatever order helm lists them in": {`[{"name":"istio-base","namespace":"istio-system"},{"name":"istiod","namespace":"istio-system"},` +
			`{"name":"istio-egressgateway","namespace":"istio-system"},{"name":"gw","namespace":"egress"}]`, []string{
			list,
			"/bin/helm uninstall istio-egressgateway --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
			"/bin/helm uninstall gw --namespace egress --wait --timeout 5m --kubeconfig /kc",
			"/bin/helm uninstall istiod --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
			"/bin/helm uninstall istio-base --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
		}},
		"interrupted after base: no uninstall of a release that never was": {`[{"name":"istio-base","namespace":"istio-system","status":"deployed"}]`, []string{
			list,
			"/bin/helm uninstall istio-base --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
		}},
		"a release named istiod elsewhere is no Istio of this run's: uninstalled first": {`[{"name":"istio-base","namespace":"istio-system"},{"name":"istiod","namespace":"gw"}]`, []string{
			list,
			"/bin/helm uninstall istiod --namespace gw --wait --timeout 5m --kubeconfig /kc",
			"/bin/helm uninstall istio-base --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
		}},
		"nothing labelled with this run (a foreign istio-base stays)": {"[]", []string{list}},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &command.Recorder{Replies: map[string]command.Reply{list: {Out: []byte(tc.listed)}}}
			assert.NoError(t, Uninstall(context.Background(), rec, "/bin/helm", "/kc", "abcd1234"))
			assert.Equal(t, tc.want, rec.Lines())
		})
	}
}

func TestUninstallRefusesGarbageFromHelmList(t *testing.T) {
	list := strings.Join(ReleasesCommand("helm", "/kc", "x"), " ")
	rec := &command.Recorder{Replies: map[string]command.Reply{list: {Out: []byte("NAME\tNAMESPACE\nistiod\tistio-system\n")}}}
	err := Uninstall(context.Background(), rec, "helm", "/kc", "x")
	assert.ErrorContains(t, err, "istio: helm list --output json: expected a JSON list of releases: invalid character 'N'")
	assert.Len(t, rec.Calls, 1, "nothing is uninstalled blind")
}

func TestGatewayInstallCommand(t *testing.T) {
	cfg := config.Config{IstioVersion: "1.32.0", IstioChartRepo: "https://charts.example/istio", RunID: "abcd1234"}
	got := GatewayInstallCommand("/bin/helm", "/kc", cfg, egressgateway.Gateway{Namespace: "istio-system", Name: "istio-egressgateway"})
	assert.Equal(t, "/bin/helm install istio-egressgateway gateway --repo https://charts.example/istio --version 1.32.0 --namespace istio-system "+
		"--labels egress-conformance.io/run-id=abcd1234 --wait --timeout 5m --kubeconfig /kc --set service.type=ClusterIP", strings.Join(got, " "))
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
