package offline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	admin "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/pkg/util/protoconv"
	"istio.io/istio/pkg/util/protomarshal"

	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/sidecar"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

const seedCluster = "outbound|80||www.tetrate.io"

// seedSidecar is the seed scenario's client sidecar config as a config dump
// read back by the live tier's reader; mutate changes a copy of the
// translation's config before it is dumped.
func seedSidecar(t *testing.T, mutate func(sim *simulation.Simulation)) (scenarios.Scenario, *simulation.Simulation) {
	t.Helper()
	s, err := scenarios.BuiltinNamed("tetrate-https-egress")
	require.NoError(t, err)
	sim, err := offline.Simulate(s)
	require.NoError(t, err)
	if mutate != nil {
		mutate(sim)
	}
	return s, dumped(t, sim)
}

// reads returns a reader that gives the views in turn, then the last one.
func reads(views ...func() (sidecar.View, error)) sidecar.Reader {
	n := 0
	return func(context.Context, sidecar.Proxy) (sidecar.View, error) {
		v := views[min(n, len(views)-1)]
		n++
		return v()
	}
}

func view(sim *simulation.Simulation, resolved ...string) func() (sidecar.View, error) {
	return func() (sidecar.View, error) {
		return sidecar.View{Sim: sim, Resolved: map[string][]string{seedCluster: resolved}}, nil
	}
}

var hermeticIPs = []string{"10.244.0.7"}

func TestSidecarThatAgreesStartsTheChecks(t *testing.T) {
	s, sim := seedSidecar(t, nil)
	want, err := offline.Predict(s)
	require.NoError(t, err)
	notYet := func() (sidecar.View, error) {
		return sidecar.View{}, errors.New("exec pilot-agent request GET config_dump: container not running")
	}
	ev := sidecar.Await(context.Background(), reads(notYet, view(sim, "10.244.0.7")), s, want, nil, hermeticIPs, time.Second, time.Millisecond)
	require.NoError(t, ev.Err, "a sidecar not up yet is waited for")
	assert.Equal(t, want, ev.Sidecar, "the sidecar's own config predicts the offline verdicts")
	for _, c := range s.Checks {
		assert.Empty(t, failures(s, ev, c.Name))
	}
}

// TestSidecarWithoutTheDestinationRulesTLS is finding 2 of the live tier's
// review: without origination the 1 ms timeout still gives the seed's 504,
// so only the sidecar's config shows that the DestinationRule has not arrived.
func TestSidecarWithoutTheDestinationRulesTLS(t *testing.T) {
	s, sim := seedSidecar(t, func(sim *simulation.Simulation) {
		for i, c := range sim.Clusters {
			if c.GetName() == seedCluster {
				plain := proto.Clone(c).(*cluster.Cluster)
				plain.TransportSocket, plain.TransportSocketMatches = nil, nil
				sim.Clusters[i] = plain
			}
		}
	})
	want, err := offline.Predict(s)
	require.NoError(t, err)
	ev := sidecar.Await(context.Background(), reads(view(sim, "10.244.0.7")), s, want, nil, hermeticIPs, 50*time.Millisecond, 10*time.Millisecond)
	require.Error(t, ev.Err)
	assert.Regexp(t, `^never agreed with the offline prediction within 50ms \(\d+ reads\): check http-origination-timeout: tls mode: sidecar DISABLE, offline SIMPLE; check http-origination-timeout: sni: sidecar none, offline tetrate.io$`, ev.Err.Error())
	assert.Equal(t, []string{
		"expect.upstream.tls.mode: expected TLS origination (sni tetrate.io), observed DISABLE", "expect.upstream.tls.sni: expected tetrate.io, observed none",
		"sources disagree: tls mode: the offline prediction SIMPLE, the client sidecar's config DISABLE",
		"sources disagree: sni: the offline prediction tetrate.io, the client sidecar's config none"},
		failures(s, ev, "http-origination-timeout"), "the check fails with the difference, and with the expectations the sidecar's config contradicts")
	assert.Empty(t, failures(s, ev, "https-passthrough"), "the passthrough check agrees")
}

func TestSidecarResolvingAnotherAddressNamesIt(t *testing.T) {
	s, sim := seedSidecar(t, nil)
	want, err := offline.Predict(s)
	require.NoError(t, err)
	ev := sidecar.Await(context.Background(), reads(view(sim, "104.18.20.1")), s, want, nil, hermeticIPs, 30*time.Millisecond, 10*time.Millisecond)
	assert.ErrorContains(t, ev.Err, "check http-origination-timeout: the sidecar resolved www.tetrate.io (cluster outbound|80||www.tetrate.io) to 104.18.20.1, not to the hermetic server's 10.244.0.7: its pod's hostAliases did not reach its Envoy")
	ev = sidecar.Await(context.Background(), reads(view(sim)), s, want, nil, hermeticIPs, 30*time.Millisecond, 10*time.Millisecond)
	assert.ErrorContains(t, ev.Err, "check http-origination-timeout: the sidecar has not resolved www.tetrate.io (cluster outbound|80||www.tetrate.io) yet")
	ev = sidecar.Await(context.Background(), reads(view(sim, "104.18.20.1")), s, want, nil, nil, 30*time.Millisecond, 10*time.Millisecond)
	assert.NoError(t, ev.Err, "against the real host (no hermetic server) any address is the host's")
}

func TestSidecarNeverReadIsEveryChecksProblem(t *testing.T) {
	s, _ := seedSidecar(t, nil)
	want, err := offline.Predict(s)
	require.NoError(t, err)
	broken := func() (sidecar.View, error) {
		return sidecar.View{}, errors.New("config dump: not Envoy's JSON: syntax error")
	}
	ev := sidecar.Await(context.Background(), reads(broken), s, want, nil, hermeticIPs, 30*time.Millisecond, 10*time.Millisecond)
	require.Error(t, ev.Err)
	assert.Regexp(t, `^never agreed with the offline prediction within 30ms \(\d+ reads\): config dump: not Envoy's JSON: syntax error$`, ev.Err.Error())
	for _, c := range s.Checks {
		assert.Equal(t, []string{ev.Err.Error()}, failures(s, ev, c.Name))
	}
	off, side := ev.Predictions(1)
	assert.Equal(t, &want[1], off)
	assert.Nil(t, side)
}

// TestSidecarConfigIsVerifiedAgainstTheExpectations: a live run judges the
// check's expectations on the real sidecar's config too, outside the wait
// (a wrong expectation does not hold the checks back).
func TestSidecarConfigIsVerifiedAgainstTheExpectations(t *testing.T) {
	s, sim := seedSidecar(t, nil)
	want, err := offline.Predict(s)
	require.NoError(t, err)
	s.Checks[1].Expect.Timeout = &contract.Duration{Duration: 2 * time.Millisecond}
	ev := sidecar.Await(context.Background(), reads(view(sim, "10.244.0.7")), s, want, nil, hermeticIPs, time.Second, time.Millisecond)
	require.NoError(t, ev.Err, "the sidecar agrees with the offline prediction at once")
	assert.Equal(t, []string{"expect.timeout: expected 2ms, observed 1ms"}, failures(s, ev, "http-origination-timeout"))
	assert.Empty(t, failures(s, ev, "https-passthrough"))
}

// TestWarmingClusterIsNamed: a cluster Envoy has not warmed (an SDS secret
// that never comes) is not in use; the check names it rather than a bare
// difference of TLS modes.
func TestWarmingClusterIsNamed(t *testing.T) {
	s, sim := seedSidecar(t, func(sim *simulation.Simulation) {
		sim.Clusters = slices.DeleteFunc(sim.Clusters, func(c *cluster.Cluster) bool { return c.GetName() == seedCluster })
	})
	want, err := offline.Predict(s)
	require.NoError(t, err)
	warming := func() (sidecar.View, error) {
		return sidecar.View{Sim: sim, Pending: judge.Pending{Warming: []string{seedCluster}, RejectedListeners: []judge.RejectedListener{{Name: "0.0.0.0_80", Reason: "duplicate domain"}}},
			CDSRejected: 1, CDSRejections: []string{"Error adding/updating cluster(s) outbound|80||www.tetrate.io: bad tls context"}}, nil
	}
	ev := sidecar.Await(context.Background(), reads(warming), s, want, nil, hermeticIPs, 30*time.Millisecond, 10*time.Millisecond)
	require.Error(t, ev.Err)
	problems := failures(s, ev, "http-origination-timeout")
	assert.Contains(t, problems, "cluster outbound|80||www.tetrate.io is still warming in the sidecar: Envoy waits for its endpoints, a DNS answer or an SDS secret (a credentialName whose Secret is missing?)")
	assert.Contains(t, problems, `Envoy rejected listener 0.0.0.0_80: "duplicate domain" (in the sidecar)`)
	assert.Contains(t, problems, `Envoy rejected a cluster update (in the sidecar): "Error adding/updating cluster(s) outbound|80||www.tetrate.io: bad tls context"`)

	// Envoy's count and log cover the proxy's life and the whole mesh's
	// config: a rejection that names another cluster is not this check's.
	_, whole := seedSidecar(t, nil)
	elsewhere := func() (sidecar.View, error) {
		return sidecar.View{Sim: whole, CDSRejected: 2, CDSRejections: []string{"Error adding/updating cluster(s) outbound|443||other.example.com: bad"}}, nil
	}
	ev = sidecar.Await(context.Background(), reads(elsewhere), s, want, nil, nil, time.Second, time.Millisecond)
	require.NoError(t, ev.Err)
	for _, c := range s.Checks {
		assert.Empty(t, failures(s, ev, c.Name))
	}
}

// TestPendingReadsWarmingAndRejected: warming clusters and rejected listener
// updates (named, and the one Envoy ties to no listener) come from the dump;
// a cluster's error_state, which Envoy never fills
// (config_dump_shared.proto: [#not-implemented-hide:]), is not read: a
// rejected cluster update is counted by Envoy's stats (harness/envoyadmin).
func TestPendingReadsWarmingAndRejected(t *testing.T) {
	dump, err := protomarshal.Marshal(&admin.ConfigDump{Configs: []*anypb.Any{
		protoconv.MessageToAny(&admin.ClustersConfigDump{
			DynamicWarmingClusters: []*admin.ClustersConfigDump_DynamicCluster{{Cluster: protoconv.MessageToAny(&cluster.Cluster{Name: seedCluster})}},
			DynamicActiveClusters:  []*admin.ClustersConfigDump_DynamicCluster{{Cluster: protoconv.MessageToAny(&cluster.Cluster{Name: "other"}), ErrorState: &admin.UpdateFailureState{Details: "never filled by Envoy"}}},
		}),
		protoconv.MessageToAny(&admin.ListenersConfigDump{DynamicListeners: []*admin.ListenersConfigDump_DynamicListener{
			{Name: "0.0.0.0_80", ErrorState: &admin.UpdateFailureState{Details: "bad\nthing"}},
			{ErrorState: &admin.UpdateFailureState{Details: "bad\nthing"}},
		}}),
	}})
	require.NoError(t, err)
	parsed, err := judge.ParseConfigDump(dump)
	require.NoError(t, err)
	p, err := parsed.Pending()
	require.NoError(t, err)
	assert.Equal(t, judge.Pending{Warming: []string{seedCluster}, RejectedListeners: []judge.RejectedListener{{Name: "0.0.0.0_80", Reason: "bad\nthing"}, {Reason: "bad\nthing"}}}, p)
	assert.Equal(t, `listener 0.0.0.0_80: "bad\nthing"`, p.RejectedListeners[0].String(), "Envoy's reason quoted: one line")
}

// failures are the live verdict's failures of the named check on the
// sidecar evidence alone (before curl), without the scenario and check prefix.
func failures(s scenarios.Scenario, ev verdict.SidecarEvidence, check string) []string {
	for k, c := range s.Checks {
		if c.Name != check {
			continue
		}
		var out []string
		for _, f := range verdict.Of(s.Name, c, ev.Evidence(k, c, nil), 0).Failures {
			out = append(out, strings.TrimPrefix(f, fmt.Sprintf("scenario %s, check %s: ", s.Name, c.Name)))
		}
		return out
	}
	panic("no check " + check)
}

// dumped is the simulation written as a config dump and read back, as the
// live tier reads a proxy.
func dumped(t *testing.T, sim *simulation.Simulation) *simulation.Simulation {
	t.Helper()
	dump, err := judge.ConfigDump(sim)
	require.NoError(t, err)
	back, err := judge.FromConfigDump(dump)
	require.NoError(t, err)
	return back
}

// TestGatewayHopIsReadFromTheGatewayPod: with an egress gateway, the live
// tier predicts each check's gateway hop from the gateway pod's own config
// dump, and it must agree with the offline hop. A gateway that never got the
// DestinationRule (the seed's, exported to "." only) is named.
func TestGatewayHopIsReadFromTheGatewayPod(t *testing.T) {
	exported, err := scenarios.BuiltinNamed("tetrate-egress-gateway-exported")
	require.NoError(t, err)
	notExported, err := scenarios.BuiltinNamed("tetrate-egress-gateway")
	require.NoError(t, err)
	want, err := offline.Predict(exported)
	require.NoError(t, err)
	sidecarSim, err := offline.Simulate(exported)
	require.NoError(t, err)
	gatewaySim, err := offline.SimulateGateway(exported)
	require.NoError(t, err)
	staleGatewaySim, err := offline.SimulateGateway(notExported)
	require.NoError(t, err)
	gw := &sidecar.Proxy{Namespace: "istio-system", Pod: "istio-egressgateway-7d9f-abcde"}
	byProxy := func(gateway *simulation.Simulation) sidecar.Reader {
		client, gateway := dumped(t, sidecarSim), dumped(t, gateway)
		return func(_ context.Context, p sidecar.Proxy) (sidecar.View, error) {
			if p == *gw {
				return sidecar.View{Sim: gateway}, nil
			}
			return sidecar.View{Sim: client}, nil
		}
	}

	ev := sidecar.Await(context.Background(), byProxy(gatewaySim), exported, want, gw, nil, time.Second, time.Millisecond)
	require.NoError(t, ev.Err)
	for k := range want {
		assert.Equal(t, want[k].Gateway, ev.Sidecar[k].Gateway, "check %s: the gateway hop from the gateway's dump", exported.Checks[k].Name)
	}
	require.NotNil(t, ev.Sidecar[0].Gateway, "the seed's http check goes through the gateway")

	ev = sidecar.Await(context.Background(), byProxy(staleGatewaySim), exported, want, gw, nil, 30*time.Millisecond, 10*time.Millisecond)
	require.Error(t, ev.Err)
	assert.Contains(t, ev.Err.Error(), "gateway tls mode: sidecar DISABLE, offline SIMPLE")

	// Hermetic mode: the gateway's own DNS cluster must resolve to the run's
	// server too (its pods' hostAliases).
	gatewayResolves := func(addr string) sidecar.Reader {
		client, gateway := dumped(t, sidecarSim), dumped(t, gatewaySim)
		return func(_ context.Context, p sidecar.Proxy) (sidecar.View, error) {
			if p == *gw {
				return sidecar.View{Sim: gateway, Resolved: map[string][]string{"outbound|80||www.tetrate.io": {addr}}}, nil
			}
			return sidecar.View{Sim: client}, nil
		}
	}
	ev = sidecar.Await(context.Background(), gatewayResolves("10.244.0.7"), exported, want, gw, hermeticIPs, time.Second, time.Millisecond)
	require.NoError(t, ev.Err)
	ev = sidecar.Await(context.Background(), gatewayResolves("104.18.20.1"), exported, want, gw, hermeticIPs, 30*time.Millisecond, 10*time.Millisecond)
	require.Error(t, ev.Err)
	assert.Contains(t, ev.Err.Error(), "the egress gateway resolved www.tetrate.io (cluster outbound|80||www.tetrate.io) to 104.18.20.1, not to the hermetic server's 10.244.0.7")

	// A rejection on the shared gateway counts only when it is the check's
	// listener or names the check's cluster: Envoy keeps a listener's until
	// its next LDS update, so another scenario's may still be there.
	gatewayRejected := func(listener, clusterReason string) sidecar.Reader {
		client, gateway := dumped(t, sidecarSim), dumped(t, gatewaySim)
		return func(_ context.Context, p sidecar.Proxy) (sidecar.View, error) {
			if p == *gw {
				v := sidecar.View{Sim: gateway, Pending: judge.Pending{RejectedListeners: []judge.RejectedListener{{Name: listener, Reason: "duplicate filter chain"}}}}
				if clusterReason != "" {
					v.CDSRejected, v.CDSRejections = 1, []string{clusterReason}
				}
				return v, nil
			}
			return sidecar.View{Sim: client}, nil
		}
	}
	hopListener := want[0].Gateway.Listener
	require.NotEmpty(t, hopListener)
	ev = sidecar.Await(context.Background(), gatewayRejected("0.0.0.0_9443", "Error adding/updating cluster(s) outbound|443||other.example.com: bad"), exported, want, gw, nil, time.Second, time.Millisecond)
	require.NoError(t, ev.Err, "another scenario's rejections on the shared gateway do not count")
	assert.Empty(t, failures(exported, ev, exported.Checks[0].Name))
	ev = sidecar.Await(context.Background(), gatewayRejected(hopListener, ""), exported, want, gw, nil, 30*time.Millisecond, 10*time.Millisecond)
	require.Error(t, ev.Err)
	assert.Contains(t, ev.Err.Error(), "Envoy rejected listener "+hopListener+`: "duplicate filter chain" (in the egress gateway)`)
	ev = sidecar.Await(context.Background(), gatewayRejected("0.0.0.0_9443", "Error adding/updating cluster(s) "+want[0].Gateway.Cluster+": bad"), exported, want, gw, nil, 30*time.Millisecond, 10*time.Millisecond)
	require.Error(t, ev.Err)
	assert.Contains(t, ev.Err.Error(), "Envoy rejected a cluster update (in the egress gateway)")

	unreadable := func(_ context.Context, p sidecar.Proxy) (sidecar.View, error) {
		if p == *gw {
			return sidecar.View{}, errors.New(`exec pilot-agent request GET config_dump in istio-system/istio-egressgateway-7d9f-abcde container istio-proxy: container not found ("istio-proxy")`)
		}
		return sidecar.View{Sim: dumped(t, sidecarSim)}, nil
	}
	ev = sidecar.Await(context.Background(), unreadable, exported, want, gw, nil, 30*time.Millisecond, 10*time.Millisecond)
	require.Error(t, ev.Err)
	assert.Contains(t, ev.Err.Error(), "egress gateway istio-system/istio-egressgateway-7d9f-abcde: exec pilot-agent request GET config_dump")
}
