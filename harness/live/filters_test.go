package live

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/scenarios"
)

// TestSelectedFollowsE2EFrameworksFilters: the run's setup installs only what
// the features e2e-framework will run need, decided as it decides
// (pkg/env/env.go requireProcessing): a feature regex, a skip regex, every
// --labels key matching, no --skip-labels match.
func TestSelectedFollowsE2EFrameworksFilters(t *testing.T) {
	seed := scenarios.Entry{ID: "tetrate-https-egress", Scenario: scenarios.Scenario{Labels: map[string]string{"area": "egress", "source": "seed"}}}
	gateway := scenarios.Entry{ID: "tetrate-egress-gateway", Scenario: scenarios.Scenario{Labels: map[string]string{"area": "egress", "source": "istio-doc"}}}
	cases := []struct {
		name          string
		cfg           *envconf.Config
		seed, gateway bool
	}{
		{"no filter", envconf.New(), true, true},
		{"no config", nil, true, true},
		{"--feature", envconf.New().WithFeatureRegex("^tetrate-https-egress$"), true, false},
		{"--skip-feature", envconf.New().WithSkipFeatureRegex("gateway"), true, false},
		{"--labels", envconf.New().WithLabels(map[string][]string{"source": {"seed"}}), true, false},
		{"--labels with two values of a key", envconf.New().WithLabels(map[string][]string{"source": {"seed", "istio-doc"}}), true, true},
		{"--labels with two keys, both must match", envconf.New().WithLabels(map[string][]string{"source": {"seed"}, "area": {"ingress"}}), false, false},
		{"--skip-labels", envconf.New().WithSkipLabels(map[string][]string{"source": {"istio-doc"}}), true, false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.seed, selected(tc.cfg, seed), "%s: seed", tc.name)
		assert.Equal(t, tc.gateway, selected(tc.cfg, gateway), "%s: gateway", tc.name)
	}
}
