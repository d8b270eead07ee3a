package live

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/workload"
)

// teardownBudget bounds the whole teardown, so a hung API server cannot keep a
// CI job forever.
const teardownBudget = 10 * time.Minute

// Teardown removes what the run created, in reverse order, and only that: the
// DNS override, the hermetic host, Istio if this run installed it, the kind
// cluster if this run created it. It runs on a fresh context, because the one
// it is given may be the cancelled run's.
func (r *Run) Teardown() env.Func {
	return func(_ context.Context, cfg *envconf.Config) (context.Context, error) {
		ctx, cancel := withTimeout(context.Background(), teardownBudget)
		defer cancel()
		var errs []error
		step := func(name string, f func() error) {
			errs = append(errs, r.phase("teardown: "+name, f))
		}
		r.mu.Lock()
		failed := r.failed
		r.mu.Unlock()
		if keep := r.Cfg.Keep; keep == config.KeepAlways || keep == config.KeepOnFailure && failed {
			fmt.Fprintf(r.Progress, "teardown skipped (E2E_KEEP=%s): %s\n", keep, r.KeptMessage())
			return ctx, nil
		}
		if r.kind != nil {
			if failed {
				step("kind export logs", func() error {
					return r.kind.ExportLogs(ctx, filepath.Join(r.Cfg.Artifacts, "diagnostics", "kind-logs"))
				})
			}
			// Everything lives in the cluster: deleting it is the whole teardown.
			step("delete kind cluster "+r.kind.Name, func() error { return r.kind.Destroy(ctx) })
			return ctx, errors.Join(errs...)
		}
		if r.corefile != nil {
			step("restore the CoreDNS Corefile", func() error { return r.restoreDNS(ctx, cfg) })
		}
		if r.serverCreated {
			step("delete namespace "+workload.ServerNamespace, func() error {
				return deleteNamespace(ctx, cfg.Client().Resources(), workload.ServerNamespace)
			})
		}
		if r.installedIstio {
			step("helm uninstall istiod + base", func() error {
				cmds := istio.UninstallCommands(r.Report.Tools["helm"])
				for i := range cmds {
					cmds[i] = append(cmds[i], "--kubeconfig", cfg.KubeconfigFile())
				}
				if err := istio.Run(ctx, r.Runner, cmds); err != nil || !r.createdIstioNamespace {
					return err
				}
				return deleteNamespace(ctx, cfg.Client().Resources(), istio.Namespace)
			})
		}
		return ctx, errors.Join(errs...)
	}
}

// KeptMessage says what a kept run left behind and how to remove it.
func (r *Run) KeptMessage() string {
	if r.kind != nil {
		return fmt.Sprintf("kind cluster %q kept; remove it with: go tool kind delete cluster --name %s", r.kind.Name, r.kind.Name)
	}
	msg := fmt.Sprintf("objects labelled %s=%s kept; remove them with: kubectl delete namespace -l %s=%s", config.RunIDLabel, r.Cfg.RunID, config.RunIDLabel, r.Cfg.RunID)
	if r.corefile != nil {
		msg += fmt.Sprintf("; restore CoreDNS from the %s annotation of %s/%s", workload.OriginalCorefileAnnotation, workload.CoreDNSNamespace, workload.CoreDNSConfigMap)
	}
	if r.installedIstio {
		msg += "; uninstall Istio with: go tool helm uninstall istiod istio-base -n " + istio.Namespace
	}
	return msg
}

func (r *Run) restoreDNS(ctx context.Context, cfg *envconf.Config) error {
	res := cfg.Client().Resources()
	var cm corev1.ConfigMap
	if err := res.Get(ctx, workload.CoreDNSConfigMap, workload.CoreDNSNamespace, &cm); err != nil {
		return fmt.Errorf("restore coredns: %v", err)
	}
	cm.Data[workload.CorefileKey] = *r.corefile
	delete(cm.Annotations, workload.OriginalCorefileAnnotation)
	if err := res.Update(ctx, &cm); err != nil {
		return fmt.Errorf("restore coredns: %v", err)
	}
	r.corefile = nil
	return nil
}
