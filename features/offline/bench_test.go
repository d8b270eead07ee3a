package offline

import (
	"testing"

	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/scenarios"
)

// BenchmarkSeedScenario measures one scenario: Istio's translation for a
// sidecar, the simulation of both checks, and verification.
func BenchmarkSeedScenario(b *testing.B) {
	var seed scenarios.Scenario
	for _, e := range scenarios.Builtin() {
		if e.ID == "tetrate-https-egress" {
			seed = e.Scenario
		}
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
		for _, e := range scenarios.Builtin() {
			predictAndVerify(b, e.Scenario)
		}
	}
}

func predictAndVerify(b *testing.B, s scenarios.Scenario) {
	predictions, err := offline.Predict(s)
	if err != nil {
		b.Fatal(err)
	}
	for i, c := range s.Checks {
		if m := judge.Verify(c, predictions[i]); len(m) > 0 {
			b.Fatalf("%s/%s: %v", s.Name, c.Name, m)
		}
	}
}
