package reports

import (
	"fmt"
	"time"

	"sigs.k8s.io/yaml"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// ConformanceReport is the machine-readable report of a run.
type ConformanceReport struct {
	APIVersion  string            `json:"apiVersion"`
	Kind        string            `json:"kind"`
	Date        string            `json:"date"`
	Tier        string            `json:"tier"`
	Environment map[string]string `json:"environment,omitempty"`
	Result      string            `json:"result"`
	Statistics  results.Counts    `json:"statistics"`
	FailedTests []string          `json:"failedTests,omitempty"`
	Checks      []CheckReport     `json:"checks"`
}

// CheckReport is one check: what was expected, what was seen, and the verdict.
type CheckReport struct {
	Name        string           `json:"name"`
	URL         string           `json:"url,omitempty"`
	Result      string           `json:"result"`
	Duration    string           `json:"duration"`
	Expectation *contract.Expect `json:"expectation,omitempty"`
	// HostDelay is how long the check says its host takes to answer.
	HostDelay string   `json:"hostDelay,omitempty"`
	Failures  []string `json:"failures,omitempty"`
	// Analysis is what Istio's analyzers say of the scenario's fixtures.
	Analysis []string `json:"analysis,omitempty"`
	// Prediction is the offline translation's, or, in the control-plane
	// tier's report, the one read from the config the real istiod served.
	Prediction *PredictionView `json:"prediction,omitempty"`
	// Sidecar, in the live tier's report, is the prediction read from the
	// client sidecar's own config dump.
	Sidecar     *PredictionView `json:"sidecar,omitempty"`
	Observation *Observation    `json:"observation,omitempty"`
}

// Observation is the live tier's last answer and every attempt.
type Observation struct {
	Status int    `json:"status"`
	From   string `json:"from,omitempty"`
	Server string `json:"server,omitempty"`
	// UpstreamServiceTime is the x-envoy-upstream-service-time header, the router's mark of an upstream answer.
	UpstreamServiceTime string   `json:"upstreamServiceTime,omitempty"`
	CurlExitCode        int      `json:"curlExitCode"`
	CurlError           string   `json:"curlError,omitempty"`
	Duration            string   `json:"duration"`
	Attempts            []string `json:"attempts"`
}

// PredictionView is the offline prediction with readable durations.
type PredictionView struct {
	Listener string `json:"listener"`
	Route    string `json:"route"`
	Cluster  string `json:"cluster,omitempty"`
	Upstream string `json:"upstream,omitempty"`
	TLSMode  string `json:"tlsMode,omitempty"`
	SNI      string `json:"sni,omitempty"`
	// AutoSNI says the SNI is the request's Host (Envoy's auto_sni), and
	// AutoSANValidation that the server certificate is checked against it.
	AutoSNI           bool `json:"autoSni,omitempty"`
	AutoSANValidation bool `json:"autoSanValidation,omitempty"`
	// DirectStatus is what the sidecar answers itself with on a direct,
	// redirect or notfound route; Location is a redirect's.
	DirectStatus int    `json:"directStatus,omitempty"`
	Location     string `json:"location,omitempty"`
	// Weighted are a weighted route's clusters, "cluster weight/total".
	Weighted []string `json:"weighted,omitempty"`
	// Fault is the route's fault injection.
	Fault   string `json:"fault,omitempty"`
	Timeout string `json:"timeout"`
	Retries string `json:"retries,omitempty"`
	// Headers is how the sidecar treats the headers that say who answered.
	Headers *results.ResponseHeaders `json:"responseHeaders,omitempty"`
	Error   string                   `json:"error,omitempty"`
	// Gateway is the egress gateway's hop, when the request goes through one.
	Gateway *PredictionView `json:"gateway,omitempty"`
}

func viewPrediction(p *results.Prediction) *PredictionView {
	if p == nil {
		return nil
	}
	v := &PredictionView{Listener: p.Listener, Route: p.Route, Cluster: p.Cluster, TLSMode: p.TLSMode, SNI: p.SNI,
		AutoSNI: p.AutoSNI, AutoSANValidation: p.AutoSANValidation, DirectStatus: p.DirectStatus,
		Timeout: results.DurationOrNone(p.Timeout), Headers: p.Headers, Error: p.Error, Gateway: viewPrediction(p.Gateway)}
	if p.UpstreamHost != "" {
		v.Upstream = fmt.Sprintf("%s:%d", p.UpstreamHost, p.UpstreamPort)
	}
	if r := p.Retries; r != nil {
		v.Retries = fmt.Sprintf("attempts %d, perTryTimeout %s, retryOn %s", r.Attempts, results.DurationOrNone(r.PerTryTimeout), r.RetryOn)
	}
	v.Location = p.Location
	for _, w := range p.Weighted {
		v.Weighted = append(v.Weighted, w.String())
	}
	if p.Fault != nil {
		v.Fault = p.Fault.String()
	}
	return v
}

func attemptLines(o results.Convergence) []string {
	out := make([]string, len(o.Attempts))
	for i, a := range o.Attempts {
		out[i] = a.String()
	}
	return out
}

// Report builds the conformance report of a run.
func Report(r results.Run) ConformanceReport {
	c := r.Counts()
	rep := ConformanceReport{
		APIVersion: "egress-conformance.io/v1alpha1", Kind: "ConformanceReport",
		Date: r.Start.UTC().Format(time.RFC3339), Tier: r.Tier, Environment: r.Environment,
		Result: r.Outcome(), Statistics: c,
	}
	for _, res := range r.Results {
		cr := CheckReport{Name: res.Name(), URL: res.URL, Result: verdict(res), Duration: res.Duration.String(),
			Failures: res.Failures, Analysis: res.Analysis, Prediction: viewPrediction(res.Prediction), Sidecar: viewPrediction(res.Sidecar)}
		if res.URL != "" {
			e := res.Expect
			cr.Expectation = &e
		}
		if res.HostDelay > 0 {
			cr.HostDelay = res.HostDelay.String()
		}
		if l := res.Live; l != nil {
			a := l.Last
			cr.Observation = &Observation{Status: a.Status, From: a.From, Server: a.Server, UpstreamServiceTime: a.UpstreamServiceTime,
				CurlExitCode: a.CurlExitCode, CurlError: a.CurlError, Duration: l.Convergence.Elapsed.String(), Attempts: attemptLines(l.Convergence)}
		}
		if cr.Result == "failed" {
			rep.FailedTests = append(rep.FailedTests, res.Name())
		}
		rep.Checks = append(rep.Checks, cr)
	}
	return rep
}

// WriteConformanceReport writes the report as YAML to path atomically.
func WriteConformanceReport(path string, r results.Run) error {
	y, err := yaml.Marshal(Report(r))
	if err != nil {
		return fmt.Errorf("reports: conformance report: %v", err)
	}
	return writeAtomic(path, y)
}

func verdict(res results.CheckResult) string {
	switch {
	case res.Skipped:
		return "skipped"
	case res.Passed:
		return "passed"
	}
	return "failed"
}
