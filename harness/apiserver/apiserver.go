// Package apiserver starts a real kube-apiserver and etcd (controller-runtime's
// envtest) with Istio's CRDs, for tests of the live tier's Kubernetes steps
// and for the control-plane tier, on machines without Docker.
package apiserver

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/istio"
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

// Start starts kube-apiserver and etcd and stops them when the test ends.
// Without the binaries the test fails with one line naming the command that
// builds them: a test that could not run must not look like a pass.
func Start(t *testing.T) Server {
	t.Helper()
	srv, err := Launch()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// Launch starts kube-apiserver and etcd from KUBEBUILDER_ASSETS or the
// repository's bin/ (make envtest-bins), each under a parent-death signal, and
// installs Istio's CRDs from the pinned istio.io/istio module and the Gateway
// API's from the sigs.k8s.io/gateway-api module it pins. The caller
// stops it; if the caller dies first, the kernel kills both.
func Launch() (Server, error) {
	root, err := goOutput("env", "GOMOD")
	if err != nil {
		return Server{}, err
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(filepath.Dir(root), "bin")
	}
	for _, bin := range binaries {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return Server{}, fmt.Errorf("%s not found in %s: run `make envtest-bins` (builds the pinned kube-apiserver and etcd into bin/) or set KUBEBUILDER_ASSETS", bin, assets)
		}
	}
	srv := Server{}
	if srv.dir, err = os.MkdirTemp("", "apiserver-"); err != nil {
		return Server{}, err
	}
	launchers, err := writeLaunchers(filepath.Join(srv.dir, "launch"), assets)
	if err != nil {
		srv.Stop()
		return Server{}, err
	}
	istioDir, err := istio.ModuleDir("istio.io/istio")
	if err != nil {
		srv.Stop()
		return Server{}, err
	}
	gatewayAPI, err := istio.GatewayAPICRDs()
	if err != nil {
		srv.Stop()
		return Server{}, err
	}
	crds := append([]string{filepath.Join(istioDir, "manifests", "charts", "base", "files", "crd-all.gen.yaml")}, gatewayAPI...)
	env := &envtest.Environment{
		BinaryAssetsDirectory: launchers,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: crds, ErrorIfPathMissing: true},
	}
	restCfg, err := env.Start()
	if err != nil {
		srv.Stop()
		return Server{}, fmt.Errorf("start kube-apiserver and etcd from %s: %v", assets, err)
	}
	srv.env = env
	client, err := klient.New(restCfg)
	if err == nil {
		srv.Kubeconfig = filepath.Join(srv.dir, "kubeconfig")
		err = os.WriteFile(srv.Kubeconfig, env.KubeConfig, 0o600)
	}
	if err != nil {
		srv.Stop()
		return Server{}, fmt.Errorf("api server client: %v", err)
	}
	srv.Config = envconf.New().WithClient(client).WithKubeconfigFile(srv.Kubeconfig)
	return srv, nil
}

// Addresses are where kube-apiserver and etcd listen (host:port), for tests
// that prove both are gone.
func (s Server) Addresses() []string {
	if s.env == nil {
		return nil
	}
	api, err := url.Parse(s.env.Config.Host) // https://127.0.0.1:<port>/
	if err != nil {
		return nil
	}
	return []string{api.Host, s.env.ControlPlane.Etcd.URL.Host}
}

// Stop stops the API server and etcd and removes the kubeconfig.
func (s Server) Stop() {
	if s.env != nil {
		_ = s.env.Stop()
	}
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
