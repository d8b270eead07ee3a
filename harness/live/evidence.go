package live

import (
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios"
)

// evidence is what a scenario's setup learnt before its checks: the offline
// predictions and the client sidecar's judgement against them.
type evidence struct {
	offline []results.Prediction
	sidecar sidecarJudgement
	// err is the sidecar wait's failure: it never agreed, or could not be read.
	err error
}

func (r *Run) setEvidence(scenario string, ev evidence) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.evidence == nil {
		r.evidence = map[string]evidence{}
	}
	r.evidence[scenario] = ev
}

func (r *Run) evidenceFor(scenario string) evidence {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.evidence[scenario]
}

// predictions are the k-th check's offline and sidecar predictions, nil where missing.
func (ev evidence) predictions(k int) (off, sidecar *results.Prediction) {
	if k < len(ev.offline) {
		off = &ev.offline[k]
	}
	if k < len(ev.sidecar.predictions) {
		sidecar = &ev.sidecar.predictions[k]
	}
	return off, sidecar
}

// problems are what keeps the check's sidecar config from agreeing with the
// offline prediction; a sidecar never read is one problem for every check.
func (ev evidence) problems(c scenarios.Check) []string {
	if ps := ev.sidecar.problems[c.Name]; len(ps) > 0 {
		return ps
	}
	if ev.err != nil && ev.sidecar.predictions == nil {
		return []string{ev.err.Error()}
	}
	return nil
}
