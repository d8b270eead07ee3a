package offline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	admin "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pkg/util/protomarshal"

	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/scenarios"
)

// istioModuleFile is a file of the pinned istio.io/istio module, read in
// place from the module cache (the test data of Istio's own tests).
func istioModuleFile(t *testing.T, path string) []byte {
	t.Helper()
	dir, err := istio.ModuleDir("istio.io/istio")
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, path))
	require.NoError(t, err)
	return b
}

// TestConfigDumpsCapturedFromRealEnvoys reads the config dumps istioctl's own
// tests keep, captured from running proxies (waypoints, so no outbound
// sidecar listeners), with the live tier's reader, and simulates a request
// through one of them: Envoy's readiness listener on 15021, an inline route
// to the agent cluster.
func TestConfigDumpsCapturedFromRealEnvoys(t *testing.T) {
	sim, err := judge.FromConfigDump(istioModuleFile(t, "istioctl/pkg/proxyconfig/testdata/config_dump.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"", "main_internal"}, listenerNames(sim), "the static readiness listener and the dynamic one")
	assert.Len(t, sim.Clusters, 3, "two static clusters (agent, prometheus_stats) and one dynamic")
	assert.Len(t, sim.Routes, 1)
	res := sim.Run(simulation.Call{Address: "10.0.0.1", Port: 15021, Protocol: simulation.HTTP, HostHeader: "pod", Path: "/healthz/ready"})
	require.NoError(t, res.Error)
	assert.Equal(t, "agent", res.ClusterMatched)

	sim, err = judge.FromConfigDump(istioModuleFile(t, "istioctl/pkg/writer/compare/testdata/configdump.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"connect_terminate", "main_internal", "connect_originate"}, listenerNames(sim))
	assert.Equal(t, "inbound-vip|9080|http|ratings.default.svc.cluster.local", sim.Clusters[0].GetName())

	_, err = judge.FromConfigDump(istioModuleFile(t, "istioctl/pkg/describe/testdata/describe/http_config.json"))
	assert.EqualError(t, err, "config dump: 0 listeners and 1 clusters: not a running proxy's config", "a dump of routes and clusters only")
}

func listenerNames(sim *simulation.Simulation) []string {
	var names []string
	for _, l := range sim.Listeners {
		names = append(names, l.GetName())
	}
	return names
}

// TestConfigDumpRoundTripKeepsEveryPrediction: the config Istio's translation
// makes for each catalog scenario, written as Envoy's admin endpoint prints it
// and read back as the live tier reads a real sidecar, predicts exactly what
// the translation does, check by check.
func TestConfigDumpRoundTripKeepsEveryPrediction(t *testing.T) {
	for _, e := range scenarios.Builtin() {
		require.NoError(t, e.Err)
		sim, err := offline.Simulate(e.Scenario)
		require.NoError(t, err)
		want, err := judge.FromSimulation(sim, e.Scenario.Checks)
		require.NoError(t, err)
		dump, err := judge.ConfigDump(sim)
		require.NoError(t, err)
		back, err := judge.FromConfigDump(dump)
		require.NoError(t, err, e.ID)
		got, err := judge.FromSimulation(back, e.Scenario.Checks)
		require.NoError(t, err)
		assert.Equal(t, want, got, e.ID)
	}
}

func TestBadConfigDumpsAreOneLineErrors(t *testing.T) {
	for in, want := range map[string]string{
		"garbage":       "config dump: not Envoy's JSON: ",
		"{}":            "config dump: 0 listeners and 0 clusters: not a running proxy's config",
		"404 Not Found": "config dump: not Envoy's JSON: ",
		`{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "dynamic_listeners": [{"active_state": {"listener": {"@type": "type.googleapis.com/envoy.config.listener.v3.Listener", "name": 7}}}]}]}`: "config dump: ",
	} {
		_, err := judge.FromConfigDump([]byte(in))
		require.Error(t, err, in)
		assert.True(t, strings.HasPrefix(err.Error(), want), "%q: %v", in, err)
		assert.NotContains(t, err.Error(), "\n")
	}
}

// TestLoadsFromClustersReadEnvoysClusterStatus reads /clusters?format=json
// (Envoy's admin.Clusters, written here with Envoy's own proto) with
// istioctl's reader: each cluster's endpoints, and their addresses.
func TestLoadsFromClustersReadEnvoysClusterStatus(t *testing.T) {
	status := &admin.Clusters{ClusterStatuses: []*admin.ClusterStatus{
		{Name: "outbound|80||www.tetrate.io", HostStatuses: []*admin.HostStatus{{Address: &core.Address{Address: &core.Address_SocketAddress{
			SocketAddress: &core.SocketAddress{Address: "10.244.0.7", PortSpecifier: &core.SocketAddress_PortValue{PortValue: 443}}}}}}},
		{Name: "PassthroughCluster"},
	}}
	b, err := protomarshal.Marshal(status)
	require.NoError(t, err)
	loads, err := judge.LoadsFromClusters(b)
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"outbound|80||www.tetrate.io": {"10.244.0.7"}, "PassthroughCluster": {}}, judge.AddressesOf(loads))
	eps := loads["outbound|80||www.tetrate.io"].GetEndpoints()[0].GetLbEndpoints()
	require.Len(t, eps, 1, "the live tier's EDS endpoints come from the same answer")
	assert.Equal(t, uint32(443), eps[0].GetEndpoint().GetAddress().GetSocketAddress().GetPortValue())
	assert.Empty(t, loads["PassthroughCluster"].GetEndpoints())
	_, err = judge.LoadsFromClusters([]byte("no such admin path\n"))
	assert.ErrorContains(t, err, "clusters?format=json: not Envoy's JSON")
	_, err = judge.LoadsFromClusters([]byte("{}"))
	assert.EqualError(t, err, "clusters?format=json: no cluster statuses: not a running proxy's answer")
}

// FuzzFromConfigDump: any bytes give a simulation input or a one-line error, never a panic.
func FuzzFromConfigDump(f *testing.F) {
	f.Add([]byte(`{"configs": []}`))
	f.Add([]byte(`{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "static_clusters": [{"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "a"}}]}]}`))
	f.Fuzz(func(t *testing.T, dump []byte) {
		sim, err := judge.FromConfigDump(dump)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		require.NotEmpty(t, sim.Listeners)
		require.NotEmpty(t, sim.Clusters)
	})
}
