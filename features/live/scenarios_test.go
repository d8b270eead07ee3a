package live

import (
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/features"
)

// TestScenarios runs one feature per catalog scenario, one assessment per
// check. In internet mode, skip the hermetic-only control with
// --skip-labels=external=hermetic.
func TestScenarios(t *testing.T) {
	if skipLine != "" {
		t.Skip(skipLine)
	}
	var feats []features.Feature
	for _, e := range catalog {
		feats = append(feats, run.Feature(e))
	}
	testenv.Test(t, feats...)
}
