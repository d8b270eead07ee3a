package snapshot

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/fixtures"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
)

// TestWrittenSnapshotsPassTheOfflineTier writes the snapshot of every
// catalog scenario's fixtures into a folder beside copies of its fixture
// files, loads that folder as E2E_SCENARIOS would, and judges every check
// as the offline tier does: each passes, unedited. Taking it again writes
// the same bytes.
func TestWrittenSnapshotsPassTheOfflineTier(t *testing.T) {
	for _, e := range scenarios.Builtin() {
		s := e.Scenario
		t.Run(s.Name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range s.Fixtures {
				data, err := fixtures.FS.ReadFile(f)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, 0o644))
			}
			in, err := ReadInputs([]string{dir})
			require.NoError(t, err)
			snap, err := Take(in, optionsOf(s))
			require.NoError(t, err)
			out, err := snap.Render()
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "snapshot.yaml"), out, 0o644))

			again, err := Take(in, optionsOf(s))
			require.NoError(t, err)
			rendered, err := again.Render()
			require.NoError(t, err)
			assert.Equal(t, string(out), string(rendered), "a re-run on unchanged input writes the same file")

			entries, err := scenarios.Load(os.DirFS(dir), dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "the fixture files beside the snapshot are not scenarios")
			require.NoError(t, entries[0].Err)
			loaded := entries[0].Scenario
			predictions, err := offline.Predict(loaded)
			require.NoError(t, err)
			for i, c := range loaded.Checks {
				res := verdict.Of(loaded.Name, c, verdict.Evidence{Judged: &verdict.Source{Name: "the offline translation", Prediction: predictions[i]}}, time.Millisecond)
				assert.Empty(t, res.Failures, "%s: %s", c.Name, c.URL)
			}
		})
	}
}
