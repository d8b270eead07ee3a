package verdict

import (
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// SidecarEvidence is what the live tier learns of a scenario's client sidecar
// before its checks: the offline predictions, the ones read from the
// sidecar's own config, and what keeps the sidecar from serving them.
type SidecarEvidence struct {
	Offline []results.Prediction
	Sidecar []results.Prediction
	// Pending are, per check name, what keeps a proxy from serving the check
	// as its config says: a warming cluster, a rejected update, a DNS cluster
	// not resolved to the hermetic server; one line each.
	Pending map[string][]string
	// Err is the wait's failure: the sidecar never agreed, or was never read.
	Err error
}

// Predictions are the k-th check's offline and sidecar predictions, nil where missing.
func (ev SidecarEvidence) Predictions(k int) (offline, sidecar *results.Prediction) {
	if k < len(ev.Offline) {
		offline = &ev.Offline[k]
	}
	if k < len(ev.Sidecar) {
		sidecar = &ev.Sidecar[k]
	}
	return offline, sidecar
}

// Evidence is the k-th check's evidence for Of: its expectations judged on
// the client sidecar's own config (a user's scenarios may run live only),
// which must agree with the offline prediction; what is pending; and live,
// what curl observed. A sidecar never read is one problem for every check.
func (ev SidecarEvidence) Evidence(k int, c contract.Check, live *results.LiveObservation) Evidence {
	e := Evidence{Live: live, Problems: ev.Pending[c.Name]}
	offline, sidecar := ev.Predictions(k)
	switch {
	case sidecar != nil:
		e.Judged = &Source{Name: "the client sidecar's config", Prediction: *sidecar}
		if offline != nil {
			e.Agree = []Source{{Name: "the offline prediction", Prediction: *offline}}
		}
	case ev.Err != nil:
		e.Problems = append(e.Problems, ev.Err.Error())
	default:
		e.Problems = append(e.Problems, "not judged: the client sidecar's config was never read for this scenario")
	}
	return e
}
