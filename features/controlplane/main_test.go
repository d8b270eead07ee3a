// Package controlplane is the control-plane tier: the live tier's control
// plane without a container runtime. Istio's charts from the pinned module,
// rendered with the live tier's values, on a real kube-apiserver + etcd; the
// real istiod (pilot-discovery of the same module) as a local process; the
// live tier's own client pod, injected by istiod's webhook; the live tier's
// own apply step for the fixtures; xDS fetched as that pod's sidecar and
// judged by the offline tier's verification. Its verdicts must equal the
// offline tier's.
package controlplane

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	conformance "istio-egress-conformance"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/reports"
	"istio-egress-conformance/scenarios"
)

// results collects every check's verdict for the reports TestMain writes.
var results struct {
	sync.Mutex
	run reports.Run
}

func TestMain(m *testing.M) {
	results.run = reports.Run{Tier: reports.TierControlPlane, Start: time.Now(), Environment: map[string]string{
		"tier":              reports.TierControlPlane,
		"go":                runtime.Version(),
		"istio.io/istio":    conformance.PinnedVersion("istio.io/istio"),
		"proxyIstioVersion": offline.ProxyIstioVersion,
		"scenarios":         "built-in",
	}}
	if dir := os.Getenv(scenarios.EnvScenarios); dir != "" {
		results.run.Environment["scenarios"] = dir
	}
	code := m.Run()
	if len(results.run.Results) > 0 {
		dir := reports.Dir()
		if err := reports.WriteAll(dir, results.run); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = max(code, 1)
		}
		fmt.Printf("control-plane tier: %s, reports in %s\n", results.run.Outcome(), dir)
	}
	os.Exit(code)
}

func record(r reports.CheckResult) {
	results.Lock()
	defer results.Unlock()
	results.run.Results = append(results.run.Results, r)
}

func setEnvironment(key, value string) {
	results.Lock()
	defer results.Unlock()
	results.run.Environment[key] = value
}
