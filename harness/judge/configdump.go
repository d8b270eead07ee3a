package judge

import (
	"fmt"

	admin "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"istio.io/istio/istioctl/pkg/util/configdump"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/pkg/util/protoconv"
	"istio.io/istio/pkg/util/protomarshal"

	"istio-egress-conformance/harness/results"
)

// ParsedDump is an Envoy config dump (the admin endpoint's /config_dump, as
// `pilot-agent request GET config_dump` prints it in the istio-proxy
// container), parsed once with istioctl's own reader
// (istioctl/pkg/util/configdump, what `istioctl proxy-config` uses), which
// skips types this build does not know instead of failing, as istioctl does
// for a newer Envoy.
type ParsedDump struct {
	w configdump.Wrapper
}

// ParseConfigDump parses a config dump; it fails only on what is not Envoy's JSON.
func ParseConfigDump(dump []byte) (*ParsedDump, error) {
	d := &ParsedDump{}
	if err := d.w.UnmarshalJSON(dump); err != nil {
		return nil, fmt.Errorf("config dump: not Envoy's JSON: %v", err)
	}
	return d, nil
}

// FromConfigDump parses a config dump and reads it as Simulation does.
func FromConfigDump(dump []byte) (*simulation.Simulation, error) {
	d, err := ParseConfigDump(dump)
	if err != nil {
		return nil, err
	}
	return d.Simulation()
}

// Simulation is the input of Istio's simulation the dump holds: the
// listeners, clusters and route configurations Envoy holds, static and
// dynamic (active ones only: a draining listener serves no new request). A
// dump without a listener or a cluster is an error: it is not a running proxy's.
func (d *ParsedDump) Simulation() (*simulation.Simulation, error) {
	w := &d.w
	var listeners, clusters, routes []*anypb.Any
	if ld, err := w.GetListenerConfigDump(); err == nil {
		for _, l := range ld.GetStaticListeners() {
			listeners = append(listeners, l.GetListener())
		}
		for _, l := range ld.GetDynamicListeners() {
			if a := l.GetActiveState().GetListener(); a != nil {
				listeners = append(listeners, a)
			}
		}
	}
	if cd, err := w.GetClusterConfigDump(); err == nil {
		for _, c := range cd.GetStaticClusters() {
			clusters = append(clusters, c.GetCluster())
		}
		for _, c := range cd.GetDynamicActiveClusters() {
			clusters = append(clusters, c.GetCluster())
		}
	}
	if rd, err := w.GetRouteConfigDump(); err == nil { // none when every route is inline
		for _, r := range rd.GetStaticRouteConfigs() {
			routes = append(routes, r.GetRouteConfig())
		}
		for _, r := range rd.GetDynamicRouteConfigs() {
			routes = append(routes, r.GetRouteConfig())
		}
	}
	sim := &simulation.Simulation{}
	for _, a := range listeners {
		l := &listener.Listener{}
		if err := unpack(a, l); err != nil {
			return nil, err
		}
		sim.Listeners = append(sim.Listeners, l)
	}
	for _, a := range clusters {
		c := &cluster.Cluster{}
		if err := unpack(a, c); err != nil {
			return nil, err
		}
		sim.Clusters = append(sim.Clusters, c)
	}
	for _, a := range routes {
		r := &route.RouteConfiguration{}
		if err := unpack(a, r); err != nil {
			return nil, err
		}
		sim.Routes = append(sim.Routes, r)
	}
	if len(sim.Listeners) == 0 || len(sim.Clusters) == 0 {
		return nil, fmt.Errorf("config dump: %d listeners and %d clusters: not a running proxy's config", len(sim.Listeners), len(sim.Clusters))
	}
	return sim, nil
}

func unpack(a *anypb.Any, m proto.Message) error {
	if err := a.UnmarshalTo(m); err != nil {
		return fmt.Errorf("config dump: %q: %v", a.GetTypeUrl(), err)
	}
	return nil
}

// Pending is what a proxy holds but does not use: clusters still warming
// (Envoy waits for their endpoints, a DNS answer, or an SDS secret such as a
// credentialName's that never comes), and listener updates it rejected. A
// rejected cluster update is not in a dump (Envoy fills a dynamic cluster's
// error_state nowhere: api/envoy/admin/v3/config_dump_shared.proto marks it
// [#not-implemented-hide:]); harness/envoyadmin reads it from the stats and
// the log.
type Pending struct {
	Warming           []string
	RejectedListeners []RejectedListener
}

// RejectedListener is a listener update Envoy rejected, with its reason
// (error_state, filled by source/common/listener_manager/listener_manager_impl.cc
// addOrUpdateListener). Envoy keeps it from the LDS update that failed until
// the next LDS update begins (listener_manager_impl.h, beginListenerUpdate
// clears error_state_tracker_), so a proxy that serves several scenarios, a
// shared egress gateway, may show one an earlier scenario's config caused.
// Name is empty for the update's failures Envoy ties to no listener
// (dumpListenerConfigs: "Dump errors not associated with named listeners").
type RejectedListener struct {
	Name, Reason string
}

// String is "listener <name>: <reason, quoted>".
func (r RejectedListener) String() string {
	return fmt.Sprintf("listener %s: %q", results.OrNone(r.Name), r.Reason)
}

// Pending reads the warming clusters and the rejected listener updates of the
// dump, which Simulation leaves out.
func (d *ParsedDump) Pending() (Pending, error) {
	w := &d.w
	var p Pending
	if cd, err := w.GetClusterConfigDump(); err == nil {
		for _, c := range cd.GetDynamicWarmingClusters() {
			cl := &cluster.Cluster{}
			if err := unpack(c.GetCluster(), cl); err != nil {
				return Pending{}, err
			}
			p.Warming = append(p.Warming, cl.GetName())
		}
	}
	if ld, err := w.GetListenerConfigDump(); err == nil {
		for _, l := range ld.GetDynamicListeners() {
			if e := l.GetErrorState(); e != nil {
				p.RejectedListeners = append(p.RejectedListeners, RejectedListener{Name: l.GetName(), Reason: e.GetDetails()})
			}
		}
	}
	return p, nil
}

// ConfigDump writes a proxy's config as Envoy's admin endpoint prints it (the
// dynamic, active resources), so that config istiod served over xDS is read
// back the way the live tier reads a real sidecar's.
func ConfigDump(sim *simulation.Simulation) ([]byte, error) {
	var ls admin.ListenersConfigDump
	for _, l := range sim.Listeners {
		ls.DynamicListeners = append(ls.DynamicListeners, &admin.ListenersConfigDump_DynamicListener{
			Name: l.GetName(), ActiveState: &admin.ListenersConfigDump_DynamicListenerState{Listener: protoconv.MessageToAny(l)}})
	}
	var cs admin.ClustersConfigDump
	for _, c := range sim.Clusters {
		cs.DynamicActiveClusters = append(cs.DynamicActiveClusters, &admin.ClustersConfigDump_DynamicCluster{Cluster: protoconv.MessageToAny(c)})
	}
	var rs admin.RoutesConfigDump
	for _, r := range sim.Routes {
		rs.DynamicRouteConfigs = append(rs.DynamicRouteConfigs, &admin.RoutesConfigDump_DynamicRouteConfig{RouteConfig: protoconv.MessageToAny(r)})
	}
	return protomarshal.Marshal(&admin.ConfigDump{Configs: []*anypb.Any{protoconv.MessageToAny(&ls), protoconv.MessageToAny(&cs), protoconv.MessageToAny(&rs)}})
}
