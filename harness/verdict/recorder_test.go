package verdict

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/results"
)

// recorderChild names the file TestRecorderChildProcess writes its entries to:
// set, the test is the child of TestRecorderTakesEachEntryFromItsTest.
const recorderChild = "VERDICT_RECORDER_CHILD"

// TestRecorderTakesEachEntryFromItsTest runs checks that end in every way a
// tier's check can (a verdict, an assertion after it, a Fatal, a skip), and a
// failed step that is no check of its own (Fail), in a
// child test process, since a failing subtest would fail this test, and reads
// back the entries the child's recorder made: each says what go test said.
func TestRecorderTakesEachEntryFromItsTest(t *testing.T) {
	file := filepath.Join(t.TempDir(), "entries.json")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestRecorderChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), recorderChild+"="+file)
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child's failing checks must fail go test:\n%s", out)
	raw, err := os.ReadFile(file)
	require.NoError(t, err, "child output:\n%s", out)
	var entries []results.CheckResult
	require.NoError(t, json.Unmarshal(raw, &entries))
	byCheck := map[string]results.CheckResult{}
	for _, e := range entries {
		byCheck[e.Check] = e
	}
	require.Len(t, byCheck, 6, "one entry per check, none dropped")
	assert.True(t, byCheck["passes"].Passed)
	assert.False(t, byCheck["verdict-fails"].Passed)
	assert.Equal(t, []string{"expect.status: expected 200, observed 504"}, byCheck["verdict-fails"].Failures)
	assert.False(t, byCheck["asserted-after-the-verdict"].Passed, "an assertion after a passing verdict fails the entry too")
	assert.Equal(t, []string{UnexplainedFailure}, byCheck["asserted-after-the-verdict"].Failures)
	assert.False(t, byCheck["fatal"].Passed)
	assert.Equal(t, []string{"engine error: istiod is gone"}, byCheck["fatal"].Failures)
	assert.True(t, byCheck["skipped"].Skipped)
	assert.False(t, byCheck["skipped"].Passed)
	assert.Equal(t, []string{"hermetic host cannot be slow"}, byCheck["skipped"].Failures)
	assert.False(t, byCheck["teardown"].Passed, "a step that is no check of its own (a teardown) fails go test and its entry")
	assert.Equal(t, []string{"scenario s: teardown: namespaces still terminating"}, byCheck["teardown"].Failures)
	assert.Contains(t, string(out), "scenario s: teardown: namespaces still terminating", "and go test says so")
}

// TestRecorderChildProcess is TestRecorderTakesEachEntryFromItsTest's child,
// and does nothing in any other run (the os/exec helper-process idiom).
func TestRecorderChildProcess(t *testing.T) {
	file := os.Getenv(recorderChild)
	if file == "" {
		return
	}
	r := NewRecorder("test", nil)
	t.Cleanup(func() {
		raw, err := json.Marshal(r.Run().Results)
		if err == nil {
			err = os.WriteFile(file, raw, 0o600)
		}
		if err != nil {
			panic(err)
		}
	})
	entry := func(name string) results.CheckResult { return results.CheckResult{Scenario: "s", Check: name} }
	r.RunCheck(t, "passes", entry("passes"), func(c *Check) { c.Judge(entry("passes")) })
	r.RunCheck(t, "verdict-fails", entry("verdict-fails"), func(c *Check) {
		res := entry("verdict-fails")
		res.Failures = []string{"expect.status: expected 200, observed 504"}
		c.Judge(res)
	})
	r.RunCheck(t, "asserted-after-the-verdict", entry("asserted-after-the-verdict"), func(c *Check) {
		c.Judge(entry("asserted-after-the-verdict"))
		require.Equal(c.T(), "istiod", "offline", "a check on a second source, outside the verdict")
	})
	r.RunCheck(t, "fatal", entry("fatal"), func(c *Check) { c.Fatal("engine error: istiod is gone") })
	r.RunCheck(t, "skipped", entry("skipped"), func(c *Check) { c.Skip("hermetic host cannot be slow") })
	t.Run("teardown", func(t *testing.T) { r.Fail(t, entry("teardown"), "scenario s: teardown: namespaces still terminating") })
}
