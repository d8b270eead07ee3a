package converge

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clocktesting "k8s.io/utils/clock/testing"
)

// scripted answers in order, each taking `took` on the fake clock; the last
// answer repeats.
func scripted(clk *clocktesting.FakeClock, took time.Duration, answers ...string) Probe {
	i := 0
	return func(context.Context) (string, []string, error) {
		a := answers[min(i, len(answers)-1)]
		i++
		clk.Step(took)
		switch a {
		case "ok":
			return "504 server=envoy", nil, nil
		case "err":
			return "", nil, errors.New("exec: pod not found")
		}
		return a, []string{"status: expected 504, observed " + a}, nil
	}
}

func fakeOptions() (Options, *clocktesting.FakeClock) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return Options{Consecutive: 3, Deadline: 60 * time.Second, Interval: time.Second, Clock: clk}, clk
}

func TestLateConvergencePasses(t *testing.T) {
	opts, clk := fakeOptions()
	out := Await(context.Background(), opts, scripted(clk, 100*time.Millisecond, "200", "err", "200", "ok", "ok", "ok"))
	require.True(t, out.Passed, out.String())
	assert.Len(t, out.Attempts, 6)
	assert.Equal(t, 5*time.Second+600*time.Millisecond, out.Elapsed)
	assert.Equal(t, 2*1100*time.Millisecond, out.Attempts[2].At)
	assert.Contains(t, out.String(), "passed after 6 attempts")
}

func TestFlappingFailsAndShowsEveryAttempt(t *testing.T) {
	opts, clk := fakeOptions()
	opts.Deadline = 10 * time.Second
	out := Await(context.Background(), opts, scripted(clk, 0, "ok", "ok", "200", "ok", "ok", "200", "ok", "ok", "200", "ok", "ok", "200"))
	require.False(t, out.Passed)
	assert.Len(t, out.Attempts, 10, "one attempt per second within 10s")
	s := out.String()
	assert.Contains(t, s, "no 3 consecutive matching answers within 10s (10 attempts, 1 matched in a row at the end)")
	for i := 1; i <= 10; i++ {
		assert.Contains(t, s, fmt.Sprintf("\n  #%d at ", i))
	}
	assert.Contains(t, s, "200: status: expected 504, observed 200")
}

func TestDeadlineRespected(t *testing.T) {
	opts, clk := fakeOptions()
	// Each attempt takes 7s (a curl timeout) and they start 8s apart.
	opts.Deadline = 25 * time.Second
	var deadlines []bool
	probe := scripted(clk, 7*time.Second, "err")
	out := Await(context.Background(), opts, func(ctx context.Context) (string, []string, error) {
		_, ok := ctx.Deadline()
		deadlines = append(deadlines, ok)
		return probe(ctx)
	})
	require.False(t, out.Passed)
	require.Len(t, out.Attempts, 4)
	for _, a := range out.Attempts {
		assert.Less(t, a.At, opts.Deadline, "no attempt starts after the deadline")
	}
	assert.Equal(t, []bool{true, true, true, true}, deadlines, "every probe is bounded by the deadline")
	assert.Contains(t, out.String(), "error: exec: pod not found")
}

func TestCancelledContextStops(t *testing.T) {
	opts, clk := fakeOptions()
	ctx, cancel := context.WithCancel(context.Background())
	probe := scripted(clk, 0, "200")
	calls := 0
	out := Await(ctx, opts, func(ctx context.Context) (string, []string, error) {
		calls++
		if calls == 2 {
			cancel()
		}
		return probe(ctx)
	})
	require.False(t, out.Passed)
	assert.Equal(t, 2, calls)
	assert.Contains(t, out.Reason, "cancelled after 2 attempts")
}

func TestDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	assert.Equal(t, 3, o.Consecutive)
	assert.Equal(t, 60*time.Second, o.Deadline)
	assert.Equal(t, time.Second, o.Interval)
}
