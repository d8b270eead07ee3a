// Package offline predicts what a scenario's checks meet by running the
// scenario's fixtures through Istio's own config translation for a sidecar in
// the client namespace, and simulating each check's request through the
// generated listeners, routes and clusters. No cluster is needed.
package offline

import (
	_ "embed"
	"fmt"

	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/networking/core"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xds"
	istioconfig "istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/mesh"
	istiolog "istio.io/istio/pkg/log"
	"istio.io/istio/pkg/test"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// Predict translates the scenario's Istio objects into Envoy config for a
// sidecar in the client namespace and returns one prediction per check, in
// order; with an egress gateway, also for the gateway, whose hop each check
// that reaches it carries. The proxies' version is the Istio release the live
// tier installs by default.
func Predict(s scenarios.Scenario) ([]results.Prediction, error) {
	f := facts.Of(s)
	g := f.Gateway
	sidecar, gw, err := simulate(s, f)
	if err != nil {
		return nil, err
	}
	predictions, err := judge.FromSimulation(sidecar, s.Checks)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %v", s.Name, err)
	}
	if g != nil {
		if err := judge.GatewayHops(gw, g.Host(), s.Checks, predictions); err != nil {
			return nil, fmt.Errorf("scenario %s: %v", s.Name, err)
		}
	}
	return predictions, nil
}

// Simulate is the client sidecar's Envoy config that Istio's translation
// makes of the scenario's objects: the input of Istio's traffic simulation.
func Simulate(s scenarios.Scenario) (*simulation.Simulation, error) {
	sidecar, _, err := simulate(s, facts.Of(s))
	return sidecar, err
}

// SimulateGateway is the scenario's egress gateway's Envoy config, as
// Istio's translation makes it; nil when the scenario names no gateway.
func SimulateGateway(s scenarios.Scenario) (*simulation.Simulation, error) {
	_, gateway, err := simulate(s, facts.Of(s))
	return gateway, err
}

// simulate translates the scenario once for its proxies: the client's
// sidecar, and its egress gateway when it names one (nil otherwise).
func simulate(s scenarios.Scenario, f facts.Facts) (sidecar, gateway *simulation.Simulation, err error) {
	g := f.Gateway
	quietIstioLogs()
	configs := istioConfigs(s)
	kube, err := kubernetesObjects(s, g)
	if err != nil {
		return nil, nil, fmt.Errorf("scenario %s: %v", s.Name, err)
	}
	// Istio's test fixtures report failures through a test.Failer and stop
	// their informers on its cleanup; test.Wrap turns both into an error and a
	// return, so the engine is an ordinary function.
	err = test.Wrap(func(t test.Failer) {
		gen, endpoints := configGen(t, configs, kube)
		// The client pod's labels, which workloadSelectors match (Istio
		// pilot/pkg/model/sidecar.go, SidecarScope.DestinationRule;
		// push_context.go getSidecarScope), and its service account.
		labels := workload.ClientLabels(s.Client.Labels)
		proxy := gen.SetupProxy(&model.Proxy{
			ConfigNamespace: s.Client.Namespace,
			Labels:          labels,
			Metadata: &model.NodeMetadata{
				Namespace:      s.Client.Namespace,
				Labels:         labels,
				ServiceAccount: s.Client.ServiceAccountName(),
				IstioVersion:   config.DefaultIstioVersion,
			},
		})
		sidecar = judge.WithEndpoints(simulation.NewSimulationFromConfigGen(nil, gen, proxy), judge.LoadsOf(endpoints(proxy)), f.EndpointHosts)
		if g != nil {
			gateway = simulation.NewSimulationFromConfigGen(nil, gen, gen.SetupProxy(gatewayProxy(*g)))
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("scenario %s: offline translation failed: %v", s.Name, err)
	}
	return sidecar, gateway, nil
}

// gatewayProxy is the egress gateway's pod as istiod sees it: a router
// proxy with the chart's pod labels, which a Gateway's selector matches, as
// Istio's gateway simulation tests set one up
// (pilot/pkg/networking/core/gateway_simulation_test.go, runGatewayTest).
func gatewayProxy(g egressgateway.Gateway) *model.Proxy {
	labels := g.PodLabels()
	return &model.Proxy{
		Type:            model.Router,
		ConfigNamespace: g.Namespace,
		Labels:          labels,
		Metadata: &model.NodeMetadata{
			Namespace:      g.Namespace,
			Labels:         labels,
			ServiceAccount: g.ServiceAccount(),
			IstioVersion:   config.DefaultIstioVersion,
		},
	}
}

// configGen is Istio's config generator over the scenario's objects. Istio
// objects go to its config store; Kubernetes objects, when there are any, to
// the fake Kubernetes registry Istio's own tests use (pilot/test/xds/fake.go,
// NewFakeDiscoveryServer, as pilot/pkg/networking/core/sidecar_simulation_test.go
// TestExternalNameServices does): Services become mesh services, an
// ExternalName one an alias of the host it names, as in istiod.
// configGen is Istio's translation of the objects, and the EDS its discovery
// server gives a proxy: none without Kubernetes objects (a translation
// without a kube registry holds no Service endpoints).
func configGen(t test.Failer, configs []istioconfig.Config, kube []runtime.Object) (*core.ConfigGenTest, func(*model.Proxy) []*endpoint.ClusterLoadAssignment) {
	if len(kube) == 0 {
		return core.NewConfigGenTest(t, core.TestOptions{Configs: configs, MeshConfig: meshConfig()}), func(*model.Proxy) []*endpoint.ClusterLoadAssignment { return nil }
	}
	fake := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{Configs: configs, KubernetesObjects: kube, MeshConfig: meshConfig()})
	return fake.ConfigGenTest, fake.Endpoints
}

// quietIstioLogs keeps Istio's informer chatter out of test output: dozens
// of info lines per scenario, and errors that its fake Kubernetes registry
// logs about its own setup (CRD version annotations, a config source that
// never syncs). What goes wrong in the translation comes back as an error.
func quietIstioLogs() {
	for _, scope := range istiolog.Scopes() {
		scope.SetOutputLevel(istiolog.NoneLevel)
	}
}

// ChartMesh is the mesh config (ConfigMap istio-system/istio, key mesh) that
// the pinned module's istiod chart renders with the live tier's values; the
// control-plane tier checks that it still does. Its outboundTrafficPolicy
// ALLOW_ANY is what sends HTTPS to the PassthroughCluster.
//
//go:embed chart-mesh.yaml
var ChartMesh string

// meshConfig is ChartMesh read with Istio's own defaults, as istiod reads it.
func meshConfig() *meshconfig.MeshConfig {
	m, err := mesh.ApplyMeshConfigDefaults(ChartMesh)
	if err != nil {
		panic("chart-mesh.yaml, embedded: " + err.Error()) // a broken build, caught by every test
	}
	return m
}

// gatewayClusterIP stands for the egress gateway Service's cluster IP, and
// gatewayPodIP for its pod's.
const (
	gatewayClusterIP = "10.96.0.200"
	gatewayPodIP     = "10.244.0.100"
)

// kubernetesObjects are the scenario's Kubernetes objects, as istiod would
// read them from the API server: the fixtures' (Gateway API kinds
// included), and the egress gateway's Service, which the chart or istiod's
// deployment controller makes. With Gateway API objects, the ServiceEntries
// too: Istio's gateway controller reads a route's ServiceEntry parent from
// its own informer, not from the config store (pilot/pkg/config/kube/gateway/
// controller.go, Inputs.ServiceEntries; pilot/pkg/networking/core/
// sidecar_simulation_test.go TestSidecarRoutes gives its objects to both).
func kubernetesObjects(s scenarios.Scenario, g *egressgateway.Gateway) (out []runtime.Object, err error) {
	gatewayAPI := s.UsesGatewayAPI()
	if g != nil {
		svc := g.Service()
		// An API server gives the Service a cluster IP; without one Istio
		// would read it as headless and give the sidecar wildcard listeners
		// for its ports.
		svc.Spec.ClusterIP = gatewayClusterIP
		// Nor does Istio's fake client default a port's targetPort to its port
		// as the API server does (k8s.io/kubernetes pkg/apis/core/v1
		// defaults.go, SetDefaults_Service); istiod's deployment controller
		// leaves it out, and a gateway's listener port is its targetPort.
		for i, p := range svc.Spec.Ports {
			if p.TargetPort.IntVal == 0 && p.TargetPort.StrVal == "" {
				svc.Spec.Ports[i].TargetPort = intstr.FromInt32(p.Port)
			}
		}
		out = append(out, svc, g.EndpointSlice(gatewayPodIP))
	}
	for _, o := range s.Objects() {
		obj := o.Object
		if gvk := obj.GetObjectKind().GroupVersionKind(); fixture.IsGatewayAPI(gvk) || fixture.IsIstio(gvk) {
			// The fake client serves each object at the version it holds; an
			// API server serves it at every version its CRD lists, the one
			// Istio's informers watch among them (a v1alpha3 ServiceEntry
			// parent of an HTTPRoute is read at v1).
			obj, err = fixture.ReadVersion(obj)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", o, err)
			}
		}
		if o.Istio == nil || gatewayAPI && o.Istio.GroupVersionKind.Kind == "ServiceEntry" {
			out = append(out, obj)
		}
	}
	return out, nil
}

func istioConfigs(s scenarios.Scenario) []istioconfig.Config {
	var out []istioconfig.Config
	for _, o := range s.Objects() {
		if o.Istio != nil {
			out = append(out, *o.Istio)
		}
	}
	return out
}
