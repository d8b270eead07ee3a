package verdict

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

func seedCheck() (string, contract.Check) {
	c := contract.Check{Name: "http-origination-timeout", URL: "http://www.tetrate.io",
		Expect: contract.Expect{Status: 504, From: contract.FromEnvoy, Route: contract.RouteMesh}}
	return "seed", c
}

// TestOfNamesADisagreeingSource: two sources of one tier that predict
// differently fail the check, though the judged one meets every expectation.
func TestOfNamesADisagreeingSource(t *testing.T) {
	s, c := seedCheck()
	istiod := meshRoute(time.Millisecond)
	offline := istiod
	offline.Timeout = 0
	res := Of(s, c, Evidence{
		Judged: &Source{Name: "the real istiod's config", Prediction: istiod},
		Agree:  []Source{{Name: "the offline translation", Prediction: offline}},
	}, time.Second)
	assert.False(t, res.Passed)
	assert.Equal(t, []string{"scenario seed, check http-origination-timeout: sources disagree: timeout: the offline translation none, the real istiod's config 1ms"}, res.Failures)
	assert.Equal(t, &istiod, res.Prediction)

	agreeing := Of(s, c, Evidence{Judged: &Source{Name: "istiod", Prediction: istiod}, Agree: []Source{{Name: "offline", Prediction: istiod}}}, 0)
	assert.True(t, agreeing.Passed, "%v", agreeing.Failures)
}

// TestOfComparesASidecarOnlySourceWithoutTheGatewayHop: a config dump of the
// client sidecar has no gateway hop; that absence is no disagreement, any
// other field is.
func TestOfComparesASidecarOnlySourceWithoutTheGatewayHop(t *testing.T) {
	s, c := seedCheck()
	withHop := meshRoute(time.Millisecond)
	hop := meshRoute(0)
	withHop.Gateway = &hop
	dump := meshRoute(time.Millisecond)
	ev := Evidence{Judged: &Source{Name: "istiod", Prediction: withHop}, Agree: []Source{{Name: "dump", Prediction: dump, SidecarOnly: true}}}
	assert.True(t, Of(s, c, ev, 0).Passed)
	ev.Agree[0].SidecarOnly = false
	assert.False(t, Of(s, c, ev, 0).Passed, "a full source must have the hop too")
}

// TestOfFailsOnEveryKindOfEvidence: expectations, a live convergence that
// failed, and problems each fail the check with their own line.
func TestOfFailsOnEveryKindOfEvidence(t *testing.T) {
	s, c := seedCheck()
	passthrough := results.Prediction{Route: contract.RoutePassthrough, Cluster: results.PassthroughCluster}
	res := Of(s, c, Evidence{
		Judged:   &Source{Name: "sidecar", Prediction: passthrough},
		Live:     &results.LiveObservation{Convergence: results.Convergence{Reason: "3 attempts, none matched"}},
		Problems: []string{"cluster outbound|80||www.tetrate.io is still warming"},
	}, 0)
	assert.False(t, res.Passed)
	joined := strings.Join(res.Failures, "\n")
	assert.Contains(t, joined, "expect.route: expected mesh, observed passthrough")
	assert.Contains(t, joined, "from: expected envoy") // infeasible on passthrough
	assert.Contains(t, joined, "(http://www.tetrate.io): failed: 3 attempts, none matched")
	assert.Contains(t, joined, "is still warming")

	nothing := Of(s, c, Evidence{}, 0)
	assert.False(t, nothing.Passed, "a check is never passed on no evidence")
	assert.Equal(t, []string{"scenario seed, check http-origination-timeout: " + NothingJudged}, nothing.Failures)
}

// TestALiveSidecarNeverReadFailsEveryCheck: the live tier's evidence for a
// scenario whose sidecar it never read (the wait's error) fails each check
// with that error, whatever curl saw.
func TestALiveSidecarNeverReadFailsEveryCheck(t *testing.T) {
	s, c := seedCheck()
	ev := SidecarEvidence{Err: errors.New("never agreed with the offline prediction within 60s (3 reads): exec pilot-agent: container not running")}
	passed := &results.LiveObservation{Convergence: results.Convergence{Passed: true}}
	res := Of(s, c, ev.Evidence(0, c, passed), 0)
	assert.False(t, res.Passed)
	assert.Equal(t, []string{"scenario seed, check http-origination-timeout: never agreed with the offline prediction within 60s (3 reads): exec pilot-agent: container not running"}, res.Failures)
	res = Of(s, c, SidecarEvidence{}.Evidence(0, c, passed), 0)
	assert.Equal(t, []string{"scenario seed, check http-origination-timeout: not judged: the client sidecar's config was never read for this scenario"}, res.Failures)
}
