package results

// SidecarEvidence is what the live tier learns of a scenario's client sidecar
// before its checks: the offline predictions, the ones read from the
// sidecar's own config, and what keeps them apart.
type SidecarEvidence struct {
	Offline []Prediction
	Sidecar []Prediction
	// Problems are per check name, one line each.
	Problems map[string][]string
	// Err is the wait's failure: the sidecar never agreed, or was never read.
	Err error
}

// Predictions are the k-th check's offline and sidecar predictions, nil where missing.
func (ev SidecarEvidence) Predictions(k int) (offline, sidecar *Prediction) {
	if k < len(ev.Offline) {
		offline = &ev.Offline[k]
	}
	if k < len(ev.Sidecar) {
		sidecar = &ev.Sidecar[k]
	}
	return offline, sidecar
}

// CheckProblems are what keeps the check's sidecar config from agreeing with
// the offline prediction or the check's expectations; a sidecar never read,
// or never judged, is one problem for every check.
func (ev SidecarEvidence) CheckProblems(check string) []string {
	switch {
	case len(ev.Problems[check]) > 0:
		return ev.Problems[check]
	case ev.Err != nil && ev.Sidecar == nil:
		return []string{ev.Err.Error()}
	case ev.Offline == nil:
		return []string{"not judged: no offline prediction was made for this scenario"}
	}
	return nil
}
