package live

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"istio-egress-conformance/harness/apiserver"
	"istio-egress-conformance/harness/command"
)

// TestInterruptMidSetupRunsTeardown runs the live suite against a real API
// server with a chart repository that never answers, so setup hangs in
// `helm install`; SIGINT (Ctrl-C) or SIGTERM (a cancelled CI job) then must
// stop helm and still run the teardown.
func TestInterruptMidSetupRunsTeardown(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel() // each has an API server of its own
			interruptMidSetup(t, sig)
		})
	}
}

func interruptMidSetup(t *testing.T, sig os.Signal) {
	srv := apiserver.Start(t)
	var asked atomic.Int32
	hanging := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		<-r.Context().Done()
	}))
	defer hanging.Close()

	var out command.SyncBuffer
	cmd := exec.Command(os.Args[0], "-test.run=^TestScenarios$", "-test.v")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+srv.Kubeconfig, "E2E_ISTIO_CHART_REPO="+hanging.URL,
		"E2E_REQUIRE_CLUSTER=1", "ARTIFACTS="+t.TempDir())
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill() }()

	deadline := time.Now().Add(5 * time.Minute) // the first run builds the pinned helm
	for !strings.Contains(out.String(), "==> istio: helm install") {
		require.True(t, time.Now().Before(deadline), "setup never reached helm install:\n%s", out.String())
		time.Sleep(50 * time.Millisecond)
	}
	// helm is now waiting on the repository: it has asked for the chart index.
	for asked.Load() == 0 {
		require.True(t, time.Now().Before(deadline), "helm never asked the repository:\n%s", out.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(sig))

	// The last step waits for the run's namespaces to go, which never happens
	// without a namespace controller (envtest has none): once it has deleted
	// them, the test has seen what it needs and stops the child.
	for !strings.Contains(out.String(), "==> teardown: delete namespaces labelled") {
		require.True(t, time.Now().Before(deadline), "teardown never reached the namespaces:\n%s", out.String())
		time.Sleep(50 * time.Millisecond)
	}
	res := srv.Config.Client().Resources()
	var ns corev1.Namespace
	assert.Eventually(t, func() bool {
		return res.Get(context.Background(), "istio-system", "", &ns) == nil && ns.DeletionTimestamp != nil
	}, 30*time.Second, 200*time.Millisecond, "istio-system, made and labelled by the run, is deleted")
	assert.Regexp(t, "^[0-9a-f]{8}$", ns.Labels["egress-conformance.io/run-id"])
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	log := out.String()
	assert.Contains(t, log, "==> cluster: use the existing cluster in "+srv.Kubeconfig)
	assert.Regexp(t, `<== istio: helm install base \+ istiod 1\.32\.0 \(ALLOW_ANY\): FAILED: istio: .*helm install istio-base`, log)
	assert.Regexp(t, `<== teardown: helm uninstall the releases labelled egress-conformance.io/run-id=[0-9a-f]{8}: done`, log,
		"teardown runs after the interrupt, and finds no release to remove")
	assert.NotContains(t, log, "==> external host", "nothing after the interrupted step starts")
	if t.Failed() {
		t.Log(log)
	}
}
