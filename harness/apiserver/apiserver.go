// Package apiserver starts a real kube-apiserver and etcd (controller-runtime's
// envtest) with Istio's CRDs, for tests of the live tier's Kubernetes steps
// and for the control-plane tier, on machines without Docker.
package apiserver

import (
	"errors"
	"fmt"
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
	env        *envtest.Environment
	dir        string
}

// ErrNoBinaries says why no API server can start here; tests skip on it.
type ErrNoBinaries struct{ Reason string }

func (e ErrNoBinaries) Error() string { return e.Reason }

// Start starts kube-apiserver and etcd and stops them when the test ends.
// Without the binaries the test skips with one line.
func Start(t *testing.T) Server {
	t.Helper()
	srv, err := Launch()
	var missing ErrNoBinaries
	if errors.As(err, &missing) {
		t.Skip(missing.Reason)
	}
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	return srv
}

// Launch starts kube-apiserver and etcd from KUBEBUILDER_ASSETS or the
// repository's bin/ (make envtest-bins), and installs Istio's CRDs from the
// pinned istio.io/istio module. The caller stops it.
func Launch() (Server, error) {
	root, err := goOutput("env", "GOMOD")
	if err != nil {
		return Server{}, err
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(filepath.Dir(root), "bin")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return Server{}, ErrNoBinaries{fmt.Sprintf("API server tests skipped: %s not found in %s (make envtest-bins builds it; KUBEBUILDER_ASSETS may point elsewhere)", bin, assets)}
		}
	}
	istioDir, err := goOutput("list", "-m", "-f", "{{.Dir}}", "istio.io/istio")
	if err != nil {
		return Server{}, err
	}
	crds := filepath.Join(istioDir, "manifests", "charts", "base", "files", "crd-all.gen.yaml")
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: []string{crds}, ErrorIfPathMissing: true},
	}
	restCfg, err := env.Start()
	if err != nil {
		return Server{}, fmt.Errorf("start kube-apiserver and etcd from %s: %v", assets, err)
	}
	srv := Server{env: env}
	client, err := klient.New(restCfg)
	if err == nil {
		srv.dir, err = os.MkdirTemp("", "apiserver-")
	}
	if err == nil {
		srv.Kubeconfig = filepath.Join(srv.dir, "kubeconfig")
		err = os.WriteFile(srv.Kubeconfig, env.KubeConfig, 0o600)
	}
	if err != nil {
		srv.Stop()
		return Server{}, fmt.Errorf("api server client: %v", err)
	}
	srv.Config = envconf.New().WithClient(client)
	return srv, nil
}

// Stop stops the API server and etcd and removes the kubeconfig.
func (s Server) Stop() {
	_ = s.env.Stop()
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

func goOutput(args ...string) (string, error) {
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
