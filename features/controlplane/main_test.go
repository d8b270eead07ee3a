// Package controlplane is the control-plane tier: the live tier's control
// plane without a container runtime. Istio's charts from the pinned module,
// rendered with the live tier's values, on a real kube-apiserver + etcd; the
// real istiod (pilot-discovery of the same module) as a local process; the
// live tier's own client pod, injected by istiod's webhook; the live tier's
// own apply step for the fixtures; xDS fetched as that pod's sidecar and
// judged by harness/judge, as the offline tier's translation is. Its verdicts
// must equal the offline tier's. Without the API server binaries or
// pilot-discovery, every test fails with one line naming what is missing.
package controlplane

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	conformance "istio-egress-conformance"
	"istio-egress-conformance/harness/apiserver"
	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/controlplane"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/reports"
	"istio-egress-conformance/scenarios"
)

// shared is one API server and one istiod for the whole package. The lock
// guards what a signal's teardown reads while bringUp still writes.
var shared struct {
	sync.Mutex
	srv  apiserver.Server
	mesh *controlplane.Mesh
	opts controlplane.Options
	err  error // why it failed to come up
	runs atomic.Int32
}

// recorder holds every check's entry for the reports TestMain writes.
var recorder = verdict.NewRecorder(results.TierControlPlane, map[string]string{
	"tier":              results.TierControlPlane,
	"go":                runtime.Version(),
	"istio.io/istio":    conformance.PinnedVersion("istio.io/istio"),
	"proxyIstioVersion": config.DefaultIstioVersion,
	"scenarios":         "built-in",
})

func TestMain(m *testing.M) {
	if dir := os.Getenv(scenarios.EnvScenarios); dir != "" {
		recorder.SetEnvironment("scenarios", dir)
	}
	code := runWithMesh(m)
	if run := recorder.Run(); len(run.Results) > 0 {
		dir := config.ArtifactsDir()
		if err := reports.WriteAll(dir, run); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = max(code, 1)
		}
		fmt.Printf("control-plane tier: %s, reports in %s\n", run.Outcome(), dir)
	}
	os.Exit(code)
}

// runWithMesh brings the API server and istiod up, runs the tests, and takes
// both down on every path: the tests' end, or Ctrl-C / SIGTERM. (A panic in a
// test ends the process at once: istiod then dies with it, by Pdeathsig.)
// go test -short runs this tier too: it needs no infrastructure beyond what
// `make test` builds.
func runWithMesh(m *testing.M) int {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	up := make(chan struct{})
	go func() {
		if _, ok := <-stop; ok {
			fmt.Fprintln(os.Stderr, "control-plane tier: interrupted; stopping istiod and the API server")
			// An API server half started would be orphaned: let bringUp finish first.
			select {
			case <-up:
			case <-time.After(2 * time.Minute):
			}
			tearDown(true)
			os.Exit(1)
		}
	}()
	bringUp()
	close(up)
	if os.Getenv(holdAfterBringUp) != "" {
		fmt.Printf("control-plane tier: up, holding until a signal; listening on %s\n", strings.Join(listening(), " "))
		select {} // the signal tests' child: only a signal ends it
	}
	code := m.Run()
	signal.Stop(stop)
	close(stop)
	tearDown(code != 0)
	return code
}

func bringUp() {
	srv, err := apiserver.Launch()
	if err != nil {
		shared.err = err
		return
	}
	shared.Lock()
	shared.srv = srv
	shared.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o := controlplane.Options{Kubeconfig: srv.Kubeconfig, Runner: command.Exec{}, Progress: os.Stdout}
	if o.Istiod, err = preflight.ToolPath(ctx, o.Runner, "pilot-discovery"); err != nil {
		shared.err = err
		return
	}
	if o.Helm, err = preflight.ToolPath(ctx, o.Runner, "helm"); err != nil {
		shared.err = err
		return
	}
	if o.IstioModuleDir, err = istio.ModuleDir("istio.io/istio"); err != nil {
		shared.err = err
		return
	}
	if o.Dir, err = os.MkdirTemp("", "istiod-"); err != nil {
		shared.err = err
		return
	}
	shared.opts = o
	mesh, err := controlplane.Up(ctx, srv.Config.Client().Resources(), o)
	shared.Lock()
	shared.mesh, shared.err = mesh, err
	shared.Unlock()
	if shared.err != nil {
		keepLog(filepath.Join(o.Dir, "istiod.log"))
		return
	}
	recorder.SetEnvironment("istiodStartToReady", shared.mesh.Ready.Round(time.Millisecond).String())
}

// holdAfterBringUp, set by the signal tests for their child, makes the run
// wait for a signal once istiod is up, instead of running tests.
const holdAfterBringUp = "CONTROLPLANE_TEST_HOLD_AFTER_BRINGUP"

// listening is every address the API server, etcd and istiod listen on.
func listening() []string {
	addrs := shared.srv.Addresses()
	if shared.mesh != nil {
		p := shared.mesh.Istiod.Ports
		for _, port := range []int{p.HTTP, p.GRPC, p.SecureGRPC, p.Monitoring, p.HTTPS} {
			addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
		}
	}
	return addrs
}

var tearDownOnce sync.Once

// tearDown stops istiod and the API server. An istiod still starting when a
// signal comes is not known yet: it dies with this process (Pdeathsig).
func tearDown(failed bool) {
	tearDownOnce.Do(func() {
		shared.Lock()
		defer shared.Unlock()
		if shared.mesh != nil {
			shared.mesh.Down()
			if failed {
				keepLog(shared.mesh.Istiod.LogPath)
			}
		}
		if shared.srv.Config != nil {
			shared.srv.Stop()
		}
		if shared.opts.Dir != "" {
			_ = os.RemoveAll(shared.opts.Dir)
		}
	})
}

// need returns the shared mesh, or fails the test with why there is none: a
// tier that could not run must not look like a pass.
func need(t testing.TB) (apiserver.Server, *controlplane.Mesh) {
	t.Helper()
	if shared.err != nil {
		t.Fatalf("control-plane tier could not come up: %v", shared.err)
	}
	return shared.srv, shared.mesh
}

// judging lets one test at a time apply scenarios to the shared istiod: a
// ServiceEntry is visible to every namespace, so another scenario's objects
// would change this one's config. Tests that judge run in parallel with the
// signal tests (their own API server and istiod), one after another.
var judging sync.Mutex

// judgeAlone marks t parallel and holds judging until t ends.
func judgeAlone(t *testing.T) {
	t.Parallel()
	judging.Lock()
	t.Cleanup(judging.Unlock)
}

// nextRun is a run id and a client IP no other scenario of this process has.
func nextRun() (string, string) {
	n := shared.runs.Add(1)
	return fmt.Sprintf("c0de%04d", n), fmt.Sprintf("10.244.%d.%d", n/250, 10+n%250)
}

// keepLog copies istiod's log into $ARTIFACTS/controlplane.
func keepLog(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	dir := filepath.Join(config.ArtifactsDir(), "controlplane")
	if os.MkdirAll(dir, 0o755) == nil && os.WriteFile(filepath.Join(dir, "istiod.log"), b, 0o644) == nil {
		fmt.Printf("control-plane tier: istiod's log is in %s\n", filepath.Join(dir, "istiod.log"))
	}
}
