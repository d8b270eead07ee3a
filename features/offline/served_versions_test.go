package offline

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/scenarios"
)

// TestServedVersionsPredictTheSame: an API server serves an Istio object at
// every version its CRD lists (crd-all.gen.yaml: v1alpha3, v1beta1, v1, no
// conversion webhook), so a catalog scenario predicts the same whichever of
// them its networking.istio.io fixtures are written in. Istio's gateway
// controller reads ServiceEntries at v1 only: an HTTPRoute parented to a
// v1alpha3 ServiceEntry is dropped unless the offline translation gets it at
// the version an API server would serve it (fixture.ReadVersion).
func TestServedVersionsPredictTheSame(t *testing.T) {
	for _, e := range scenarios.Builtin() {
		require.NoError(t, e.Err)
		want, err := offline.Predict(e.Scenario)
		require.NoError(t, err, e.ID)
		for _, version := range []string{"v1alpha3", "v1beta1"} {
			s := writtenAt(t, e.Scenario, "networking.istio.io", version)
			got, err := offline.Predict(s)
			require.NoError(t, err, "%s at %s", e.ID, version)
			assert.Equal(t, want, got, "%s with its networking.istio.io objects at %s", e.ID, version)
		}
	}
}

// writtenAt is s with every object of the group written at version instead
// (fixture.AtVersion).
func writtenAt(t *testing.T, s scenarios.Scenario, group, version string) scenarios.Scenario {
	out := s
	out.Resolved = nil
	for _, f := range s.Resolved {
		f.Objects = slices.Clone(f.Objects)
		for i, o := range f.Objects {
			if o.Object.GetObjectKind().GroupVersionKind().Group != group {
				continue
			}
			var err error
			f.Objects[i].Object, err = fixture.AtVersion(o.Object, schema.GroupVersion{Group: group, Version: version})
			require.NoError(t, err, "%s at %s", o, version)
		}
		out.Resolved = append(out.Resolved, f)
	}
	return out
}
