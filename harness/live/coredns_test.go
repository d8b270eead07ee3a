package live

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"
)

var fastDNS = dnsTimings{rollout: 5 * time.Second, resolve: 2 * time.Second, interval: 10 * time.Millisecond}

// scriptedResolver answers from a script, one entry per lookup; the last repeats.
func scriptedResolver(answers ...string) (resolver, *int) {
	calls := 0
	return func(context.Context, string) (string, error) {
		a := answers[min(calls, len(answers)-1)]
		calls++
		if a == "NXDOMAIN" {
			return "", errors.New("getent hosts www.tetrate.io in egress-external/hermetic-server: command terminated with exit code 2")
		}
		return a, nil
	}, &calls
}

func TestAwaitResolutionWaitsForConsecutiveOverrideAnswers(t *testing.T) {
	// A stale answer (the real host, from a replica's cache), a failed
	// lookup, then the override: three in a row are needed.
	resolve, calls := scriptedResolver("203.0.113.10", "NXDOMAIN", "10.244.0.7", "203.0.113.10", "10.244.0.7")
	require.NoError(t, awaitResolution(context.Background(), resolve, []string{"www.tetrate.io"}, "10.244.0.7", fastDNS))
	assert.Equal(t, 7, *calls, "the streak restarts after every stale answer")
}

func TestAwaitResolutionGivesUpWithEveryAttempt(t *testing.T) {
	resolve, _ := scriptedResolver("203.0.113.10")
	err := awaitResolution(context.Background(), resolve, []string{"www.tetrate.io"}, "10.244.0.7", dnsTimings{resolve: 100 * time.Millisecond, interval: 20 * time.Millisecond})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `dns override: failed: no 3 consecutive matching answers within 100ms`)
	assert.Contains(t, err.Error(), `www.tetrate.io: expected 10.244.0.7, resolved "203.0.113.10"`)
	assert.NotContains(t, err.Error(), "\n")
}

func TestAwaitResolutionChecksEveryHost(t *testing.T) {
	answers := map[string]string{"www.tetrate.io": "10.244.0.7", "tetrate.io": "203.0.113.11"}
	resolve := func(_ context.Context, host string) (string, error) { return answers[host], nil }
	err := awaitResolution(context.Background(), resolve, []string{"www.tetrate.io", "tetrate.io"}, "10.244.0.7", dnsTimings{resolve: 50 * time.Millisecond, interval: 10 * time.Millisecond})
	assert.ErrorContains(t, err, `tetrate.io: expected 10.244.0.7, resolved "203.0.113.11"`)
}

func TestAwaitResolutionStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resolve, calls := scriptedResolver("10.244.0.7")
	assert.ErrorContains(t, awaitResolution(ctx, resolve, []string{"www.tetrate.io"}, "10.244.0.7", fastDNS), "cancelled")
	assert.Zero(t, *calls)
}

func TestParseGetent(t *testing.T) {
	assert.Equal(t, "10.244.0.7", parseGetent("10.244.0.7      www.tetrate.io  www.tetrate.io\n"))
	assert.Equal(t, "", parseGetent(""))
}

func TestRolloutStatus(t *testing.T) {
	d := func(gen, observed int64, spec, replicas, updated, available int32) *appsv1.Deployment {
		x := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To(spec)}}
		x.Generation = gen
		x.Status = appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: replicas, UpdatedReplicas: updated, AvailableReplicas: available}
		return x
	}
	cases := []struct {
		d    *appsv1.Deployment
		want string
		done bool
	}{
		{d(3, 2, 2, 2, 2, 2), "waiting for the deployment controller to see the new spec", false},
		{d(3, 3, 2, 3, 1, 2), "1 of 2 replicas updated", false},
		{d(3, 3, 2, 3, 2, 2), "1 old replicas pending termination", false},
		{d(3, 3, 2, 2, 2, 1), "1 of 2 updated replicas available", false},
		{d(3, 3, 2, 2, 2, 2), "rolled out", true},
	}
	for _, tc := range cases {
		got, done := rolloutStatus(tc.d)
		assert.Equal(t, tc.want, got)
		assert.Equal(t, tc.done, done)
	}
}
