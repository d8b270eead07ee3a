package controlplane

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
)

// verdicts judges a scenario folder (as E2E_SCENARIOS would select it) with
// both engines and returns each check's mismatches, keyed <scenario>/<check>.
func verdicts(t *testing.T, dir string) (controlPlane, offlineTier map[string][]verdict.Mismatch) {
	srv, mesh := need(t)
	entries, err := scenarios.Load(os.DirFS(dir), dir)
	require.NoError(t, err)
	controlPlane, offlineTier = map[string][]verdict.Mismatch{}, map[string][]verdict.Mismatch{}
	for _, e := range entries {
		if e.Err != nil {
			continue // a file that does not load fails both tiers alike, before any engine
		}
		runID, ip := nextRun()
		out, err := mesh.Judge(context.Background(), srv.Config, runID, ip, e.Scenario)
		require.NoError(t, err, e.ID)
		want := out.Offline
		require.NoError(t, out.OfflineErr, e.ID)
		for k, c := range out.Scenario.Checks {
			controlPlane[e.ID+"/"+c.Name] = verdict.Verify(c, out.Predictions[k])
			offlineTier[e.ID+"/"+c.Name] = verdict.Verify(c, want[k])
		}
	}
	return controlPlane, offlineTier
}

// TestScenarioDirsGiveTheOfflineVerdicts: on a folder whose expectations
// contradict Istio and on one whose expectations hold, the real istiod's
// config fails and passes exactly the checks the offline translation does,
// with the same messages.
func TestScenarioDirsGiveTheOfflineVerdicts(t *testing.T) {
	judgeAlone(t)
	if os.Getenv(scenarios.EnvScenarios) != "" {
		t.Skip("checks the test folders; skipped when E2E_SCENARIOS selects a catalog")
	}
	cp, off := verdicts(t, "../offline/testdata/contradicting")
	assert.Equal(t, off, cp)
	assert.Len(t, cp, 7, "every check of the folder's loadable scenarios")
	for name, m := range cp {
		assert.NotEmpty(t, m, "%s contradicts Istio and must fail", name)
	}

	// The holding folder, and the snapshot docs/snapshot.md's worked example
	// wrote: it passes both tiers as written.
	for _, dir := range []string{"../offline/testdata/holding", "../../docs/example/platform"} {
		cp, off = verdicts(t, dir)
		assert.Equal(t, off, cp, dir)
		assert.NotEmpty(t, cp, dir)
		for name, m := range cp {
			assert.Empty(t, m, "%s holds under Istio and must pass", name)
		}
	}
}
