package controlplane

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/apiserver"
	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/controlplane"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/reports"
)

// bringUp starts an API server and istiod on it, or skips with one line when
// the API server binaries or pilot-discovery cannot be had. istiod stops when
// the test ends; its log goes to $ARTIFACTS/controlplane when the test failed.
func bringUp(t *testing.T) (apiserver.Server, *controlplane.Mesh) {
	t.Helper()
	srv := apiserver.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	opts := controlplane.Options{Kubeconfig: srv.Kubeconfig, Dir: t.TempDir(), Runner: command.Exec{}, Progress: os.Stdout}
	var err error
	if opts.Istiod, err = preflight.ToolPath(ctx, opts.Runner, "pilot-discovery"); err != nil {
		t.Skipf("control-plane tier skipped: %v", err)
	}
	opts.Helm, err = preflight.ToolPath(ctx, opts.Runner, "helm")
	require.NoError(t, err)
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "istio.io/istio").Output()
	require.NoError(t, err, "go list -m istio.io/istio")
	opts.IstioModuleDir = strings.TrimSpace(string(out))

	mesh, err := controlplane.Up(ctx, srv.Config.Client().Resources(), opts)
	if err != nil {
		keepLog(t, filepath.Join(opts.Dir, "istiod.log"))
	}
	require.NoError(t, err)
	t.Cleanup(func() {
		mesh.Down()
		if t.Failed() {
			keepLog(t, mesh.Istiod.LogPath)
		}
	})
	setEnvironment("istiodStartToReady", mesh.Ready.Round(time.Millisecond).String())
	return srv, mesh
}

// keepLog copies istiod's log into the artifacts folder.
func keepLog(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	dir := filepath.Join(reports.Dir(), "controlplane")
	if os.MkdirAll(dir, 0o755) == nil && os.WriteFile(filepath.Join(dir, "istiod.log"), b, 0o644) == nil {
		t.Logf("istiod's log: %s", filepath.Join(dir, "istiod.log"))
	}
}
