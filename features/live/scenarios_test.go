package live

import "testing"

// TestScenarios runs one feature per catalog scenario, one assessment per
// check. In internet mode, skip the hermetic-only control with
// --skip-labels=external=hermetic.
func TestScenarios(t *testing.T) {
	if skipLine != "" {
		t.Skip(skipLine)
	}
	testenv.Test(t, run.Features()...)
}
