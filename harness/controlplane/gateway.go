package controlplane

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/structpb"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/simulation"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pilot/test/xdstest"
	"istio.io/istio/pkg/adsc"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/workload"
)

// GatewayTemplateCommand renders the pinned module's gateway chart as the live
// tier installs an egress gateway: release name, namespace, egressgateway.Values.
func GatewayTemplateCommand(helm, istioModuleDir string, g egressgateway.Gateway) []string {
	return append([]string{helm, "template", g.Name, filepath.Join(istioModuleDir, egressgateway.Chart), "--namespace", g.Namespace}, egressgateway.Values()...)
}

// ensureGateway puts the egress gateway's namespace (when missing), Service,
// service account and its Secrets' Role on the API server for one scenario, labelled with
// owner (deleted with the scenario, so that no other scenario's sidecar sees
// them): what istiod needs of the chart's objects to route the sidecar to the
// gateway. The chart's Deployment is left out: without a kubelet it runs no
// pod, and the gateway's proxy is this tier's xDS client (GatewayNode).
func ensureGateway(ctx context.Context, res *resources.Resources, g egressgateway.Gateway, owner map[string]string) error {
	var objs []workload.Object
	if err := res.Get(ctx, g.Namespace, "", &corev1.Namespace{}); apierrors.IsNotFound(err) {
		objs = append(objs, workload.PlainNamespace(g.Namespace, owner))
	} else if err != nil {
		return fmt.Errorf("egress gateway %s: look for its namespace: %v", g, err)
	}
	svc := g.Service()
	svc.Labels = labels.Merge(svc.Labels, owner)
	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: g.ServiceAccount(), Namespace: g.Namespace, Labels: owner}}
	role, binding := g.Role(), g.RoleBinding()
	role.Labels, binding.Labels = owner, owner
	if err := apply.CreateAll(ctx, res, append(objs, sa, svc, role, binding)); err != nil {
		return fmt.Errorf("egress gateway %s: %v", g, err)
	}
	return nil
}

// GatewayNode is how the egress gateway's pod introduces itself to istiod,
// as pilot-agent does in the gateway chart's pod: a router node
// (router~<ip>~<pod>.<ns>~<ns>.svc.cluster.local) with the pod's labels,
// which a Gateway's selector matches, its namespace and service account.
func GatewayNode(g egressgateway.Gateway, ip, istioVersion string) (adsc.Config, error) {
	labels := map[string]any{}
	for k, v := range g.PodLabels() {
		labels[k] = v
	}
	workload := g.Name + "-0"
	meta, err := structpb.NewStruct(map[string]any{
		"NAMESPACE": g.Namespace, "NAME": workload, "LABELS": labels, "SERVICE_ACCOUNT": g.ServiceAccount(),
		"ISTIO_VERSION": istioVersion, "CLUSTER_ID": "Kubernetes",
	})
	if err != nil {
		return adsc.Config{}, fmt.Errorf("egress gateway %s metadata: %v", g, err)
	}
	return adsc.Config{ClientName: "egress-conformance gateway " + g.String(), NodeType: model.Router, Namespace: g.Namespace,
		Workload: workload, IP: ip, Meta: meta}, nil
}

// gatewayIP is the gateway pod's address for a scenario, beside its client's
// (10.244.x.y -> 10.245.x.y): unique per scenario, as the client's is.
func gatewayIP(clientIP string) string {
	return strings.Replace(clientIP, "10.244.", "10.245.", 1)
}

// gatewayConfig connects to istiod as the egress gateway with Istio's delta
// xDS client and returns the gateway's config once it has listeners, every
// route they name, and istiod has been quiet for quietPeriod. Not the
// state-of-the-world client the sidecar uses: that one asks for routes named
// after a listener's port ("80": pkg/adsc/adsc.go, handleLDS), a sidecar's
// naming, where a gateway's routes are http.<port>; the delta client asks
// for the routes each listener names (HandlerContext.RegisterDependency).
// No host is waited for: a ServiceEntry exported to its own namespace only
// never reaches the gateway.
func gatewayConfig(ctx context.Context, grpcAddr string, node adsc.Config, d *Istiod, within time.Duration) (*simulation.Simulation, error) {
	st := &deltaStore{listeners: map[string]*listener.Listener{}, clusters: map[string]*cluster.Cluster{}, routes: map[string]*route.RouteConfiguration{}, updated: make(chan struct{}, 1)}
	c := adsc.NewDelta(grpcAddr, &adsc.DeltaADSConfig{Config: node},
		adsc.Watch[*cluster.Cluster]("*"),
		adsc.Watch[*listener.Listener]("*"),
		adsc.Register(func(_ adsc.HandlerContext, name, _ string, c *cluster.Cluster, e adsc.Event) {
			put(st, st.clusters, name, c, e)
		}),
		adsc.Register(func(ctx adsc.HandlerContext, name, _ string, l *listener.Listener, e adsc.Event) {
			if e == adsc.EventAdd {
				ctx.RegisterDependency(v3.RouteType, rdsNames(l)...)
			}
			put(st, st.listeners, name, l, e)
		}),
		adsc.Register(func(_ adsc.HandlerContext, name, _ string, r *route.RouteConfiguration, e adsc.Event) {
			put(st, st.routes, name, r, e)
		}),
	)
	// Cancelling the context ends the stream and Run, as in Istio's own
	// tests of the delta client; Close would race with Run's dial.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); c.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	w := xdsWait{snapshot: st.snapshot, quiet: true}
	w.pushed = func() (bool, error) {
		select {
		case <-done:
			return false, fmt.Errorf("the xDS stream to istiod closed")
		case <-st.updated:
			return true, nil
		default:
			return false, nil
		}
	}
	w.ready = func(sim *simulation.Simulation) (bool, string) {
		if len(sim.Listeners) > 0 && len(rdsNamesAll(sim)) == len(sim.Routes) {
			return true, ""
		}
		return false, fmt.Sprintf("%d listeners, %d of the %d routes they name", len(sim.Listeners), len(sim.Routes), len(rdsNamesAll(sim)))
	}
	return awaitXDS(ctx, d, w, within)
}

// deltaStore holds what the delta client received.
type deltaStore struct {
	mu        sync.Mutex
	listeners map[string]*listener.Listener
	clusters  map[string]*cluster.Cluster
	routes    map[string]*route.RouteConfiguration
	updated   chan struct{}
}

func put[T any](st *deltaStore, m map[string]T, name string, v T, e adsc.Event) {
	st.mu.Lock()
	if e == adsc.EventDelete {
		delete(m, name)
	} else {
		m[name] = v
	}
	st.mu.Unlock()
	select {
	case st.updated <- struct{}{}:
	default:
	}
}

func (st *deltaStore) snapshot() *simulation.Simulation {
	st.mu.Lock()
	defer st.mu.Unlock()
	return &simulation.Simulation{Listeners: sortedValues(st.listeners), Clusters: sortedValues(st.clusters), Routes: sortedValues(st.routes)}
}

// rdsNames are the route configurations a listener's HTTP connection
// managers fetch over RDS.
func rdsNames(l *listener.Listener) []string {
	var names []string
	for _, fc := range append(slices.Clone(l.GetFilterChains()), l.GetDefaultFilterChain()) {
		for _, f := range fc.GetFilters() {
			m := xdstest.SilentlyUnmarshalAny[hcm.HttpConnectionManager](f.GetTypedConfig())
			if n := m.GetRds().GetRouteConfigName(); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// rdsNamesAll are the route configurations all listeners name.
func rdsNamesAll(sim *simulation.Simulation) []string {
	var names []string
	for _, l := range sim.Listeners {
		for _, n := range rdsNames(l) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}
