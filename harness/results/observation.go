package results

import (
	"fmt"
	"strings"
	"time"
)

// Answer is the live client's last answer, in the terms the reports show.
type Answer struct {
	Status int
	// From is envoy, upstream, or none without an HTTP answer.
	From   string
	Server string
	// UpstreamServiceTime is the x-envoy-upstream-service-time header, the router's mark of an upstream answer.
	UpstreamServiceTime string
	// CurlExitCode and CurlError are curl's own account of the run.
	CurlExitCode int
	CurlError    string
}

// Attempt is one probe and its verdict.
type Attempt struct {
	N int `json:"n" yaml:"n"`
	// At is when the attempt started, from the start of the check.
	At   time.Duration `json:"at" yaml:"at"`
	Took time.Duration `json:"took" yaml:"took"`
	// Observation summarises what the probe saw; Error is set when it saw nothing.
	Observation string   `json:"observation,omitempty" yaml:"observation,omitempty"`
	Error       string   `json:"error,omitempty" yaml:"error,omitempty"`
	Mismatches  []string `json:"mismatches,omitempty" yaml:"mismatches,omitempty"`
}

// Matched reports whether the attempt met every expectation.
func (a Attempt) Matched() bool { return a.Error == "" && len(a.Mismatches) == 0 }

func (a Attempt) String() string {
	s := fmt.Sprintf("#%d at %s (%s): ", a.N, a.At.Round(time.Millisecond), a.Took.Round(time.Millisecond))
	switch {
	case a.Error != "":
		return s + "error: " + a.Error
	case len(a.Mismatches) > 0:
		return s + a.Observation + ": " + strings.Join(a.Mismatches, "; ")
	}
	return s + a.Observation + ": ok"
}

// Convergence is the verdict of a check asserted by convergence: every
// attempt, and whether enough of them matched in a row.
type Convergence struct {
	Passed   bool          `json:"passed" yaml:"passed"`
	Reason   string        `json:"reason,omitempty" yaml:"reason,omitempty"`
	Elapsed  time.Duration `json:"elapsed" yaml:"elapsed"`
	Attempts []Attempt     `json:"attempts" yaml:"attempts"`
}

// String is the verdict and every attempt, one per line.
func (o Convergence) String() string {
	var b strings.Builder
	if o.Passed {
		fmt.Fprintf(&b, "passed after %d attempts in %s", len(o.Attempts), o.Elapsed.Round(time.Millisecond))
	} else {
		fmt.Fprintf(&b, "failed: %s", o.Reason)
	}
	for _, a := range o.Attempts {
		b.WriteString("\n  " + a.String())
	}
	return b.String()
}

// LiveObservation is what the live tier saw for a check.
type LiveObservation struct {
	Last        Answer
	Convergence Convergence
}
