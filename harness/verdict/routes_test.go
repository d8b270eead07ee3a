package verdict

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

func fields(m []Mismatch) []string {
	var out []string
	for _, x := range m {
		out = append(out, x.Field)
	}
	return out
}

// TestAnswersTheSidecarMakes: a redirect and Envoy's 404 are the sidecar's
// own answers: their status, from envoy.
func TestAnswersTheSidecarMakes(t *testing.T) {
	redirect := results.Prediction{Route: contract.RouteRedirect, DirectStatus: 302, Location: "http://httpbin.org/new"}
	notFound := results.Prediction{Route: contract.RouteNotFound, DirectStatus: 404, VirtualHost: "httpbin.org:80"}
	check := func(e contract.Expect) contract.Check { return contract.Check{Expect: e} }
	assert.Empty(t, Verify(check(contract.Expect{Status: 302, From: contract.FromEnvoy, Route: contract.RouteRedirect, Location: "http://httpbin.org/new"}), redirect))
	assert.Equal(t, []string{"location", "status", "from"}, fields(Verify(check(contract.Expect{Status: 301, From: contract.FromUpstream, Location: "http://httpbin.org/"}), redirect)))
	assert.Empty(t, Verify(check(contract.Expect{Status: 404, From: contract.FromEnvoy, Route: contract.RouteNotFound}), notFound))
	m := Verify(check(contract.Expect{Status: 200}), notFound)
	assert.Len(t, m, 1)
	assert.Contains(t, m[0].String(), "no route of virtual host httpbin.org:80 matches the request: the sidecar answers 404 itself (Envoy's NR)")
}

// TestFaults: an abort of every request is the sidecar's answer whatever the
// timeout; an abort of a share makes status and from flaky, so they are
// rejected; a delay as long as curl waits leaves no answer.
func TestFaults(t *testing.T) {
	withFault := func(f results.PredictedFault, timeout time.Duration) results.Prediction {
		p := meshRoute(timeout)
		p.Fault = &f
		return p
	}
	abortAll := results.PredictedFault{AbortStatus: 500, AbortPercent: 100}
	abortHalf := results.PredictedFault{AbortStatus: 500, AbortPercent: 50}
	check := func(e contract.Expect) contract.Check { return contract.Check{Expect: e} }
	assert.Empty(t, Verify(check(contract.Expect{Status: 500, From: contract.FromEnvoy}), withFault(abortAll, time.Millisecond)), "the abort comes before the 1ms timeout could fire")
	assert.Equal(t, []string{"status"}, fields(Verify(check(contract.Expect{Status: 200}), withFault(abortAll, 0))))
	assert.Empty(t, Verify(check(contract.Expect{Route: contract.RouteMesh}), withFault(abortHalf, 0)), "the route's config holds either way")
	m := Verify(check(contract.Expect{Status: 500}), withFault(abortHalf, 0))
	assert.Len(t, m, 1)
	assert.Contains(t, m[0].Why, "aborts 50% of requests with 500")
	delayed := withFault(results.PredictedFault{Delay: 12 * time.Second, DelayPercent: 100}, 0)
	assert.Equal(t, []string{"status"}, fields(Verify(check(contract.Expect{Status: 200}), delayed)), "curl gives up after 10s")
	slowHost := check(contract.Expect{Status: 200})
	slowHost.HostDelay = &contract.Duration{Duration: 5 * time.Second}
	assert.Empty(t, Verify(slowHost, delayed), "curl waits 10s more for a slow host")
	assert.Empty(t, Verify(check(contract.Expect{Status: 504, From: contract.FromEnvoy}), withFault(results.PredictedFault{Delay: 7 * time.Second, DelayPercent: 100}, time.Millisecond)),
		"a delay does not count against the route timeout")
}

// TestWeightedClusters: the expected cluster is one with a non-zero weight,
// and the upstream is that cluster's; without one, every such cluster's.
func TestWeightedClusters(t *testing.T) {
	p := meshRoute(0)
	p.Cluster = "outbound|80|v1|httpbin.org"
	p.Weighted = []results.WeightedCluster{
		{Cluster: "outbound|80|v1|httpbin.org", Weight: 50, Total: 100, UpstreamHost: "httpbin.org", UpstreamPort: 80, TLSMode: contract.TLSDisable},
		{Cluster: "outbound|443||httpbin.org", Weight: 50, Total: 100, UpstreamHost: "httpbin.org", UpstreamPort: 443, TLSMode: contract.TLSSimple},
		{Cluster: "outbound|80|v0|httpbin.org", Weight: 0, Total: 100},
	}
	check := func(cluster string, port int) contract.Check {
		e := contract.Expect{Cluster: cluster}
		if port != 0 {
			e.Upstream = &contract.Upstream{Port: port}
		}
		return contract.Check{Expect: e}
	}
	assert.Empty(t, Verify(check("outbound|443||httpbin.org", 443), p), "not the heaviest, but one with a weight: its upstream")
	assert.Equal(t, []string{"upstream.port"}, fields(Verify(check("outbound|443||httpbin.org", 80), p)))
	m := Verify(check("outbound|80|v0|httpbin.org", 0), p)
	assert.Equal(t, []string{"cluster"}, fields(m), "weight 0 takes no request")
	assert.True(t, strings.HasPrefix(m[0].Observed, "weighted outbound|80|v1|httpbin.org 50/100, outbound|443||httpbin.org 50/100"), m[0].Observed)
	assert.Equal(t, []string{"upstream.port (cluster outbound|443||httpbin.org)"}, fields(Verify(check("", 80), p)), "an upstream without a cluster holds for every share")
}
