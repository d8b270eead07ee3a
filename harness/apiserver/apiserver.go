// Package apiserver starts a real kube-apiserver and etcd (controller-runtime's
// envtest) with Istio's CRDs, for tests of the live tier's Kubernetes steps
// on machines without Docker.
package apiserver

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
)

// Server is a running API server.
type Server struct {
	// Config reaches it through e2e-framework's client.
	Config *envconf.Config
	// Kubeconfig is a kubeconfig file for it.
	Kubeconfig string
}

// Start starts kube-apiserver and etcd from KUBEBUILDER_ASSETS or the
// repository's bin/ (make envtest-bins), installs Istio's CRDs from the pinned
// istio.io/istio module, and stops them when the test ends. Without the
// binaries the test skips with one line.
func Start(t *testing.T) Server {
	t.Helper()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(moduleRoot(t), "bin")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			t.Skipf("API server tests skipped: %s not found in %s (make envtest-bins builds it; KUBEBUILDER_ASSETS may point elsewhere)", bin, assets)
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "istio.io/istio").Output()
	require.NoError(t, err, "go list -m istio.io/istio")
	crds := filepath.Join(strings.TrimSpace(string(out)), "manifests", "charts", "base", "files", "crd-all.gen.yaml")
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: []string{crds}, ErrorIfPathMissing: true},
	}
	restCfg, err := env.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Stop() })
	client, err := klient.New(restCfg)
	require.NoError(t, err)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, env.KubeConfig, 0o600))
	return Server{Config: envconf.New().WithClient(client), Kubeconfig: kubeconfig}
}

func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	return filepath.Dir(strings.TrimSpace(string(out)))
}
