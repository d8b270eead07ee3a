// Package verdict decides whether a check passed, in every tier, in one
// place: the scenario contract's expectations against a proxy's prediction
// (Verify, with the feasibility rules that say which answers a config
// allows), the agreement of every other source the tier has (Of), and the
// report entry taken from the check's own test outcome (Recorder). It reads
// predictions, never proxy config, so it links no Istio: its tests sit
// beside it. Reading Envoy config into predictions is harness/judge's job.
package verdict
