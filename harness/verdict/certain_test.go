package verdict

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// TestCertainAnswer: a 1ms route timeout to a known upstream is a certain
// 504 from the sidecar; not when the cluster has no known upstream, nor when
// one cluster of a weighted split has none (its share gets Envoy's 503 at
// once); a direct answer is certain; a passthrough answer never is.
func TestCertainAnswer(t *testing.T) {
	check := contract.Check{Name: "c", URL: "http://h"}
	timeout := results.Prediction{Route: contract.RouteMesh, Cluster: "outbound|80||h", UpstreamHost: "h", UpstreamPort: 443, Timeout: time.Millisecond}
	e, ok := CertainAnswer(check, timeout, false)
	assert.True(t, ok)
	assert.Equal(t, contract.Expect{Status: 504, From: contract.FromEnvoy}, e)

	unknown := timeout
	unknown.UpstreamHost, unknown.UpstreamPort = "", 0
	_, ok = CertainAnswer(check, unknown, false)
	assert.False(t, ok, "no known upstream")

	split := timeout
	split.Weighted = []results.WeightedCluster{{Cluster: "outbound|80|v1|h", Weight: 50, Total: 100, UpstreamHost: "h", UpstreamPort: 443}, {Cluster: "outbound|80|v2|h", Weight: 50, Total: 100}}
	_, ok = CertainAnswer(check, split, false)
	assert.False(t, ok, "half the requests go to a cluster with no known upstream")

	e, ok = CertainAnswer(check, results.Prediction{Route: contract.RouteDirect, DirectStatus: 502}, false)
	assert.True(t, ok)
	assert.Equal(t, 502, e.Status)

	_, ok = CertainAnswer(check, results.Prediction{Route: contract.RoutePassthrough, Cluster: results.PassthroughCluster}, true)
	assert.False(t, ok)
}
