package live

import (
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/types"

	"istio-egress-conformance/scenarios"
)

// selected tells whether e2e-framework will run the scenario's feature under
// the run's filters (--feature, --skip-feature, --labels, --skip-labels),
// decided as e2e-framework v0.7.0 decides it (pkg/env/env.go,
// requireFeatureProcessing and requireProcessing). Its Setup actions run
// before any feature whatever the filters say (env.go, testEnv.Run), so the
// run's setup steps ask this to install only what the selected scenarios need.
// go test's own -run is not among these filters: a -run that leaves a
// scenario out still has its gateway installed.
func selected(cfg *envconf.Config, e scenarios.Entry) bool {
	if cfg == nil {
		return true
	}
	if re := cfg.FeatureRegex(); re != nil && !re.MatchString(e.ID) {
		return false
	}
	if re := cfg.SkipFeatureRegex(); re != nil && re.MatchString(e.ID) {
		return false
	}
	// The feature's labels are the scenario's (Feature: WithLabel per label).
	labels := types.Labels{}
	for k, v := range e.Scenario.Labels {
		labels[k] = append(labels[k], v)
	}
	for key, vals := range cfg.Labels() { // every --labels key must match one of its values
		matched := false
		for _, v := range vals {
			matched = matched || labels.Contains(key, v)
		}
		if !matched {
			return false
		}
	}
	for key, vals := range cfg.SkipLabels() {
		for _, v := range vals {
			if labels.Contains(key, v) {
				return false
			}
		}
	}
	return true
}
