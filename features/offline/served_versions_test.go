package offline

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// writtenAt is s with every object of the group written at version instead,
// read back through the fixture loader.
func writtenAt(t *testing.T, s scenarios.Scenario, group, version string) scenarios.Scenario {
	out := s
	out.Resolved = nil
	for _, f := range s.Resolved {
		var objs []fixture.Object
		for _, o := range f.Objects {
			gvk := o.Object.GetObjectKind().GroupVersionKind()
			if gvk.Group == group {
				doc, err := json.Marshal(o.Object)
				require.NoError(t, err)
				var m map[string]any
				require.NoError(t, json.Unmarshal(doc, &m))
				m["apiVersion"] = group + "/" + version
				doc, err = json.Marshal(m)
				require.NoError(t, err)
				back, err := fixture.Parse(f.Name, doc)
				require.NoError(t, err, "%s at %s", o, version)
				o = back.Objects[0]
			}
			objs = append(objs, o)
		}
		f.Objects = objs
		out.Resolved = append(out.Resolved, f)
	}
	return out
}
