package controlplane

import (
	"context"
	"testing"
	"time"

	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
)

// copies of the seed scenario one benchmark iteration runs through one istiod.
const copies = 20

// BenchmarkSeedCopiesThroughOneIstiod runs 20 copies of the seed scenario,
// each in namespaces of its own, through the shared istiod: apply, injection,
// xDS until settled, prediction and verification, SDS, teardown until the
// hosts are gone. It reports the cost of one scenario (ms/scenario) and its
// share spent from apply to config (applyToConfig-ms/scenario).
func BenchmarkSeedCopiesThroughOneIstiod(b *testing.B) {
	srv, mesh := need(b)
	seed, err := scenarios.BuiltinNamed("tetrate-https-egress")
	if err != nil {
		b.Fatal(err)
	}
	var toConfig time.Duration
	start := time.Now()
	n := 0
	for b.Loop() {
		for range copies {
			runID, ip := nextRun()
			out, err := mesh.Judge(context.Background(), srv.Config, runID, ip, seed)
			if err != nil {
				b.Fatal(err)
			}
			if len(out.Predictions) == 0 || len(out.Predictions) != len(out.Scenario.Checks) {
				b.Fatalf("copy %s: %d predictions for %d checks: nothing to measure", runID, len(out.Predictions), len(out.Scenario.Checks))
			}
			for k, c := range out.Scenario.Checks {
				if m := verdict.Verify(c, out.Predictions[k]); len(m) > 0 {
					b.Fatalf("copy %s: %s: %v", runID, c.Name, m)
				}
			}
			toConfig += out.ApplyToConfig
			n++
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(n), "ms/scenario")
	b.ReportMetric(float64(toConfig.Milliseconds())/float64(n), "applyToConfig-ms/scenario")
}
