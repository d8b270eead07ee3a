package offline

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
)

// TestUniqueNamespacesKeepEveryOutcome runs the built-in catalog with the
// namespaces the live tier uses under E2E_UNIQUE_NAMESPACES=1 through Istio's
// translation: the rename must not change a single prediction (the seed's
// exportTo "." still reaches its client, the other namespace still does not).
func TestUniqueNamespacesKeepEveryOutcome(t *testing.T) {
	for _, e := range scenarios.Builtin() {
		t.Run(e.ID, func(t *testing.T) {
			require.NoError(t, e.Err)
			renamed, err := e.Scenario.WithNamespaceSuffix("abcd1234")
			require.NoError(t, err)
			want, err := offline.Predict(e.Scenario)
			require.NoError(t, err)
			got, err := offline.Predict(renamed)
			require.NoError(t, err)
			// In-cluster hosts carry their namespace (a Gateway API gateway's
			// Service, cnn-egress-gateway-istio.<namespace>.svc..., an SNI
			// naming one): renamed too, but the mesh root's.
			for i := range want {
				namespaces := []string{e.Scenario.Client.Namespace}
				for _, o := range e.Scenario.Objects() {
					namespaces = append(namespaces, o.Object.GetNamespace())
					if o.Object.GetObjectKind().GroupVersionKind().Kind == "Namespace" {
						namespaces = append(namespaces, o.Object.GetName())
					}
				}
				for _, ns := range namespaces {
					if ns != "" && ns != "istio-system" {
						renameIn(&want[i], "."+ns+".svc.", "."+ns+"-abcd1234.svc.")
					}
				}
			}
			for i, c := range renamed.Checks {
				// Names where a rule sits may carry the namespace (a gateway's
				// https.<port>.<server>.<gateway>.<namespace> route config); what
				// the rule does may not change.
				assert.Empty(t, results.Disagreements("renamed", got[i], "original", want[i]), "%s/%s", e.ID, c.Name)
				assert.Empty(t, verdict.Verify(c, got[i]), "%s/%s", e.ID, c.Name)
			}
		})
	}
}

// renameIn replaces old with new in the prediction's in-cluster names, the
// gateway hop's included.
func renameIn(p *results.Prediction, old, new string) {
	p.Cluster = strings.ReplaceAll(p.Cluster, old, new)
	p.SNI = strings.ReplaceAll(p.SNI, old, new)
	p.UpstreamHost = strings.ReplaceAll(p.UpstreamHost, old, new)
	if p.Gateway != nil {
		g := *p.Gateway
		renameIn(&g, old, new)
		p.Gateway = &g
	}
}
