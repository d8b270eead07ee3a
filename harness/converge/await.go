// Package converge asserts by convergence: configuration takes time to reach
// a sidecar, so a check passes only after N consecutive matching answers within
// a deadline (the Gateway API conformance AwaitConvergence model), and a
// failure shows every attempt.
package converge

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/utils/clock"
)

// Options bound one check's convergence.
type Options struct {
	// Consecutive matching answers needed to pass (default 3).
	Consecutive int
	// Deadline for the whole check (default 60s).
	Deadline time.Duration
	// Interval between attempts (default 1s).
	Interval time.Duration
	// Clock is the real clock unless a test injects a fake one.
	Clock clock.Clock
}

func (o Options) withDefaults() Options {
	if o.Consecutive <= 0 {
		o.Consecutive = 3
	}
	if o.Deadline <= 0 {
		o.Deadline = 60 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
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

// Outcome is the verdict of a whole check.
type Outcome struct {
	Passed   bool          `json:"passed" yaml:"passed"`
	Reason   string        `json:"reason,omitempty" yaml:"reason,omitempty"`
	Elapsed  time.Duration `json:"elapsed" yaml:"elapsed"`
	Attempts []Attempt     `json:"attempts" yaml:"attempts"`
}

// String is the verdict and every attempt, one per line.
func (o Outcome) String() string {
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

// Probe makes one attempt and returns a summary of what it saw and the
// expectations it missed; an error means it saw nothing usable.
type Probe func(ctx context.Context) (observation string, mismatches []string, err error)

// Await runs probe until it matches Consecutive times in a row, the deadline
// passes, or ctx is cancelled. No attempt starts after the deadline, and each
// probe's context ends at it.
func Await(ctx context.Context, opts Options, probe Probe) Outcome {
	o := opts.withDefaults()
	start := o.Clock.Now()
	var out Outcome
	streak := 0
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return out.fail(o.Clock.Since(start), fmt.Sprintf("cancelled after %d attempts: %v", n-1, err))
		}
		began := o.Clock.Now()
		// The probe may not outlive the check's deadline.
		probeCtx, cancel := context.WithTimeout(ctx, o.Deadline-began.Sub(start))
		obs, mismatches, err := probe(probeCtx)
		cancel()
		a := Attempt{N: n, At: began.Sub(start), Took: o.Clock.Since(began), Observation: obs, Mismatches: mismatches}
		if err != nil {
			a.Error = err.Error()
		}
		out.Attempts = append(out.Attempts, a)
		if a.Matched() {
			streak++
		} else {
			streak = 0
		}
		elapsed := o.Clock.Since(start)
		if streak >= o.Consecutive {
			out.Passed, out.Elapsed = true, elapsed
			return out
		}
		if elapsed+o.Interval >= o.Deadline {
			return out.fail(elapsed, fmt.Sprintf("no %d consecutive matching answers within %s (%d attempts, %d matched in a row at the end)",
				o.Consecutive, o.Deadline, n, streak))
		}
		o.Clock.Sleep(o.Interval)
	}
}

func (o Outcome) fail(elapsed time.Duration, reason string) Outcome {
	o.Passed, o.Elapsed, o.Reason = false, elapsed, reason
	return o
}
