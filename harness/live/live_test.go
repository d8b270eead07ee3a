package live

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/cluster"
	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/scenarios"
)

func TestHostsCoverURLsAndSNI(t *testing.T) {
	assert.Equal(t, []string{"www.tetrate.io", "tetrate.io"}, Hosts(scenarios.Builtin()),
		"the hermetic certificate must cover the URL host and the DestinationRule's SNI")
}

func TestPhasePrintsWhatAndHowLong(t *testing.T) {
	var out bytes.Buffer
	r := &Run{Progress: &out}
	assert.NoError(t, r.phase("istio: install", func() error { return nil }))
	assert.EqualError(t, r.phase("cluster: create", func() error { return errors.New("no space left") }), "no space left")
	assert.Regexp(t, `^==> istio: install\n<== istio: install: done in [0-9.]+m?s\n==> cluster: create\n<== cluster: create: FAILED: no space left in [0-9.]+m?s\n$`, out.String())
}

func TestKeptMessageSaysHowToRemove(t *testing.T) {
	r := &Run{Cfg: config.Config{RunID: "abcd1234"}}
	assert.Equal(t, "objects labelled egress-conformance.io/run-id=abcd1234 kept; remove them with: kubectl delete namespace -l egress-conformance.io/run-id=abcd1234", r.KeptMessage())
	original := "corefile"
	r.corefile, r.installedIstio = &original, true
	assert.Contains(t, r.KeptMessage(), "restore CoreDNS from the egress-conformance.io/original-corefile annotation of kube-system/coredns")
	assert.Contains(t, r.KeptMessage(), "go tool helm uninstall istiod istio-base -n istio-system")
	r.kind = &cluster.Kind{Name: "nightly"}
	assert.Equal(t, `kind cluster "nightly" kept; remove it with: go tool kind delete cluster --name nightly`, r.KeptMessage())
}

func TestTeardownKeepsWhatE2EKeepSays(t *testing.T) {
	var out bytes.Buffer
	r := &Run{Cfg: config.Config{RunID: "abcd1234", Keep: config.KeepOnFailure}, Progress: &out, Runner: failRunner{t}}
	r.installedIstio = true // teardown would run helm: failRunner fails the test if it does
	r.failed = true
	_, err := r.Teardown()(context.Background(), nil)
	assert.NoError(t, err)
	assert.Contains(t, out.String(), "teardown skipped (E2E_KEEP=on-failure): objects labelled egress-conformance.io/run-id=abcd1234 kept")
}

type failRunner struct{ t *testing.T }

func (f failRunner) Run(_ context.Context, argv ...string) ([]byte, error) {
	f.t.Errorf("nothing may run when the run is kept: %v", argv)
	return nil, nil
}

func planNames(r *Run) []string {
	var names []string
	for _, s := range r.teardownPlan(envconf.New()) {
		names = append(names, s.name)
	}
	return names
}

func TestTeardownPlans(t *testing.T) {
	created := &Run{kind: &cluster.Kind{Name: "egress-conformance"}, installedIstio: true, serverCreated: true}
	assert.Equal(t, []string{"delete kind cluster egress-conformance"}, planNames(created), "a created cluster goes whole")
	created.failed = true
	assert.Equal(t, []string{"kind export logs", "delete kind cluster egress-conformance"}, planNames(created))

	original := "corefile"
	reusedWithIstio := &Run{corefile: &original, serverCreated: true}
	assert.Equal(t, []string{"restore the CoreDNS Corefile", "delete namespace egress-external"}, planNames(reusedWithIstio),
		"a reused cluster keeps its Istio and everything the run did not create")

	reusedInstalled := &Run{installedIstio: true}
	assert.Equal(t, []string{"helm uninstall istiod + base"}, planNames(reusedInstalled), "istio-system existed before: kept")
	reusedInstalled.createdIstioNamespace = true
	assert.Equal(t, []string{"helm uninstall istiod + base", "delete namespace istio-system"}, planNames(reusedInstalled))

	assert.Empty(t, planNames(&Run{}), "nothing created, nothing deleted")
}

func TestTeardownRunsAfterCancellation(t *testing.T) {
	rec := &command.Recorder{}
	var out bytes.Buffer
	r := &Run{Cfg: config.Config{Keep: config.KeepNever}, Report: preflight.Report{Tools: map[string]string{"helm": "/bin/helm"}},
		Runner: rec, Progress: &out, installedIstio: true}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Teardown()(cancelled, envconf.NewWithKubeConfig("/kc"))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"/bin/helm uninstall istiod --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
		"/bin/helm uninstall istio-base --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
	}, rec.Lines(), "a cancelled run still uninstalls what it installed")
	assert.Contains(t, out.String(), "<== teardown: helm uninstall istiod + base: done")
}
