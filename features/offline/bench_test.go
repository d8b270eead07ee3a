package offline

import (
	"testing"

	"istio-egress-conformance/harness/analysis"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/snapshot"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
)

// seedID is the seed doc's scenario.
const seedID = "tetrate-https-egress"

// BenchmarkSeedScenario measures one scenario: Istio's translation for a
// sidecar, the simulation of both checks, and verification.
func BenchmarkSeedScenario(b *testing.B) {
	seed, err := scenarios.BuiltinNamed(seedID)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		predictAndVerify(b, seed)
	}
}

// BenchmarkCatalog measures the whole built-in catalog, loading included.
func BenchmarkCatalog(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		catalog := scenarios.Builtin()
		if len(catalog) == 0 {
			b.Fatal("the built-in catalog is empty: nothing to measure")
		}
		for _, e := range catalog {
			if e.Err != nil {
				b.Fatal(e.Err)
			}
			predictAndVerify(b, e.Scenario)
		}
	}
}

// predictAndVerify predicts and verifies every check of s; a scenario
// without checks, or one that fails, fails the benchmark.
func predictAndVerify(b *testing.B, s scenarios.Scenario) {
	if len(s.Checks) == 0 {
		b.Fatalf("scenario %q has no checks: nothing to measure", s.Name)
	}
	predictions, err := offline.Predict(s)
	if err != nil {
		b.Fatal(err)
	}
	for i, c := range s.Checks {
		if m := verdict.Verify(c, predictions[i]); len(m) > 0 {
			b.Fatalf("%s/%s: %v", s.Name, c.Name, m)
		}
	}
}

// BenchmarkCatalogAnalysis measures what Istio's analyzers add to loading
// the catalog: every scenario's fixtures analyzed (analysis.Catalog).
func BenchmarkCatalogAnalysis(b *testing.B) {
	catalog := scenarios.Builtin()
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range catalog {
			if _, err := analysis.Accepted(e.Scenario); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSnapshotWorkedExample measures cmd/snapshot's work on
// docs/snapshot.md's worked example: reading the files, analysis,
// translation, prediction, and writing the scenario.
func BenchmarkSnapshotWorkedExample(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		in, err := snapshot.ReadInputs([]string{"../../docs/example/platform"})
		if err != nil {
			b.Fatal(err)
		}
		snap, err := snapshot.Take(in, snapshot.Options{Namespace: "payments", EgressGateway: "istio-egressgateway"})
		if err != nil {
			b.Fatal(err)
		}
		if out, err := snap.Render(); err != nil || len(out) == 0 {
			b.Fatalf("rendering: %v", err)
		}
	}
}
