// Package converge asserts by convergence: configuration takes time to reach
// a sidecar, so a check passes only after N consecutive matching answers within
// a deadline (the Gateway API conformance AwaitConvergence model), and a
// failure shows every attempt.
package converge

import (
	"context"
	"fmt"
	"time"

	"k8s.io/utils/clock"

	"istio-egress-conformance/harness/results"
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

// Probe makes one attempt and returns a summary of what it saw and the
// expectations it missed; an error means it saw nothing usable.
type Probe func(ctx context.Context) (observation string, mismatches []string, err error)

// Await runs probe until it matches Consecutive times in a row, the deadline
// passes, or ctx is cancelled. No attempt starts after the deadline, and each
// probe's context ends at it.
func Await(ctx context.Context, opts Options, probe Probe) results.Convergence {
	o := opts.withDefaults()
	start := o.Clock.Now()
	var out results.Convergence
	streak := 0
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return failed(out, o.Clock.Since(start), fmt.Sprintf("cancelled after %d attempts: %v", n-1, err))
		}
		began := o.Clock.Now()
		// The probe may not outlive the check's deadline.
		probeCtx, cancel := context.WithTimeout(ctx, o.Deadline-began.Sub(start))
		obs, mismatches, err := probe(probeCtx)
		cancel()
		a := results.Attempt{N: n, At: began.Sub(start), Took: o.Clock.Since(began), Observation: obs, Mismatches: mismatches}
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
			return failed(out, elapsed, fmt.Sprintf("no %d consecutive matching answers within %s (%d attempts, %d matched in a row at the end)",
				o.Consecutive, o.Deadline, n, streak))
		}
		o.Clock.Sleep(o.Interval)
	}
}

func failed(o results.Convergence, elapsed time.Duration, reason string) results.Convergence {
	o.Passed, o.Elapsed, o.Reason = false, elapsed, reason
	return o
}
