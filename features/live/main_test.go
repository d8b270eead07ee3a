// Package live is the live conformance tier: a kind cluster (or the cluster in
// KUBECONFIG) with Istio, every catalog scenario applied from a sidecar-injected
// client, and curl's answers asserted by convergence. Without a cluster it
// fails with one line (a tier that did not run must not look like a pass);
// go test -short, or E2E_REQUIRE_CLUSTER=0, skips it with that line instead.
package live

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/analysis"
	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/live"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/sidecar"
	"istio-egress-conformance/scenarios"
)

var (
	testenv  env.Environment
	run      *live.Run
	catalog  []scenarios.Entry
	skipLine string
)

func TestMain(m *testing.M) {
	os.Exit(setup(m))
}

func setup(m *testing.M) int {
	envCfg, err := envconf.NewFromFlags() // --kubeconfig, --labels, --skip-labels, --feature, --assess ...
	if err != nil {
		return fail(err)
	}
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return fail(err)
	}
	if envCfg.KubeconfigFile() != "" {
		cfg.Kubeconfig = envCfg.KubeconfigFile()
	}
	if catalog, err = analysis.Catalog(); err != nil {
		return fail(err)
	}
	// envconf.NewFromFlags parsed the command line, -test.short included. Go's
	// convention: -short skips tests that need infrastructure, cluster or not.
	if testing.Short() && cfg.Sweep == "" {
		skipLine = "live tier skipped (go test -short): it needs a Docker engine (kind) or a cluster in KUBECONFIG"
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	report, err := preflight.Run(ctx, cfg, preflight.Probes{Runner: command.Exec{}, APIServer: serverVersion})
	if err != nil {
		return fail(err)
	}
	if cfg.Sweep != "" {
		return sweep(cfg, report)
	}
	if report.Mode == "" {
		if cfg.RequireCluster {
			return fail(fmt.Errorf("%s", report.FailLine()))
		}
		skipLine = report.SkipLine()
		return m.Run()
	}
	fmt.Printf("live tier: run %s, cluster %s, Istio %s, external host %s\n", cfg.RunID, report.Mode, cfg.IstioVersion, cfg.External)
	run = live.New(cfg, report, catalog, os.Stdout, sidecar.Judge)
	// Ctrl-C or a cancelled CI job cancels the run's context: kind, helm, waits
	// and curl stop, and e2e-framework still runs the teardown, which works on
	// a fresh context of its own.
	sigCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if testenv, err = env.NewWithContext(sigCtx, envCfg); err != nil {
		return fail(err)
	}
	// In this order: the external host before the gateways, whose pods get
	// the hermetic server's IPs as hostAliases (harness/live/steps.go).
	testenv.Setup(run.CreateCluster, run.InstallIstio, run.ServeExternalHost, run.InstallGateways)
	testenv.Finish(run.Teardown())
	code := testenv.Run(m)
	if err := run.WriteReports(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	fmt.Printf("live tier: reports in %s\n", cfg.Artifacts)
	return code
}

// sweep removes what an earlier run left (E2E_SWEEP=<run id>) and runs no test.
func sweep(cfg config.Config, report preflight.Report) int {
	if report.Mode != preflight.ModeExisting {
		return fail(fmt.Errorf("E2E_SWEEP=%s: %s", cfg.Sweep, report.Missing))
	}
	fmt.Printf("live tier: sweep of run %s from the cluster in %s\n", cfg.Sweep, cfg.Kubeconfig)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := live.New(cfg, report, catalog, os.Stdout, nil).Sweep(ctx, envconf.NewWithKubeConfig(cfg.Kubeconfig)); err != nil {
		return fail(err)
	}
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// serverVersion asks the API server behind a kubeconfig for its version.
func serverVersion(_ context.Context, kubeconfig string) (string, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return "", err
	}
	rc.Timeout = 10 * time.Second
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return "", err
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return "", err
	}
	return v.GitVersion, nil
}
