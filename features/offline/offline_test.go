// Package offline runs every scenario of the catalog through the offline
// engine: Istio's own config translation and traffic simulation, no cluster.
package offline

import (
	"testing"

	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/scenarios"
)

// TestScenarios has one subtest per check, named <scenario>/<check>, so that
// -run selects them and JUnit shows each one. A scenario file that fails to
// load fails its own subtest with the loader's message.
func TestScenarios(t *testing.T) {
	catalog, err := scenarios.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range catalog {
		t.Run(entry.ID, func(t *testing.T) {
			if entry.Err != nil {
				t.Fatal(entry.Err)
			}
			s := entry.Scenario
			predictions, err := offline.Predict(s)
			if err != nil {
				t.Fatal(err)
			}
			for i, check := range s.Checks {
				p := predictions[i]
				t.Run(check.Name, func(t *testing.T) {
					t.Logf("%s %s: %+v", s.Name, check.URL, p)
					for _, m := range offline.Verify(check.Expect, p) {
						t.Errorf("scenario %s, check %s: %s", s.Name, check.Name, m)
					}
				})
			}
		})
	}
}
