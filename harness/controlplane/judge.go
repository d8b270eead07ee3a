package controlplane

import (
	"context"
	"errors"
	"fmt"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pkg/adsc"
	istioconfig "istio.io/istio/pkg/config"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// ConvergeWithin bounds each wait for istiod's config to reach the sidecar.
const ConvergeWithin = 30 * time.Second

// Outcome is what the real istiod served one scenario's client sidecar.
type Outcome struct {
	// Scenario is the scenario as applied: namespaces suffixed with the run
	// id; Facts are its derived facts.
	Scenario scenarios.Scenario
	Facts    facts.Facts
	// Predictions are one per check, from the served config.
	Predictions []results.Prediction
	// GatewayImage is the proxy image istiod deployed a Gateway API
	// gateway with; empty for the chart's gateway (its pods get the
	// injected ProxyImage).
	GatewayImage string
	// ProxyImage and NativeSidecar describe the injected sidecar.
	ProxyImage    string
	NativeSidecar bool
	// SDS holds, per credentialName, what the sidecar would get.
	SDS []SDSResult
	// ConfigDump is the served config as the sidecar's Envoy admin endpoint
	// would print it: what the live tier reads from a real sidecar.
	ConfigDump []byte
	// ApplyToConfig is from applying the fixtures to the config holding
	// their hosts and istiod quiet for quietPeriod (300ms of it is that
	// quiet); DeleteToGone from deleting them to their hosts leaving it.
	ApplyToConfig, DeleteToGone time.Duration
	// Teardown says why removing the scenario's objects failed, after its
	// checks were judged; nil when it did not.
	Teardown error
	// Offline is the offline translation's prediction of the same scenario,
	// which the served config is awaited to match; OfflineErr why there is none.
	Offline    []results.Prediction
	OfflineErr error
}

// Judge applies the scenario with the live tier's own apply step, in namespaces of
// its own (the run id as suffix: an API server without a namespace controller
// never finishes deleting one), connects as the injected client's sidecar,
// awaits the config istiod serves it, predicts every check from that config
// (and each gateway hop from the egress gateway's), checks SDS for each
// credentialName, then deletes the fixtures by label and waits until their
// hosts leave the config. ip is the client pod's, unique per scenario. An
// error before the predictions ends it; a failed removal is out.Teardown.
func (m *Mesh) Judge(ctx context.Context, cfg *envconf.Config, runID, ip string, original scenarios.Scenario) (out Outcome, err error) {
	s, err := original.WithNamespaceSuffix(runID)
	if err != nil {
		return Outcome{}, err
	}
	f := facts.Of(s)
	out = Outcome{Scenario: s, Facts: f}
	res := cfg.Client().Resources()
	defer func() {
		if err != nil { // the next scenario's sidecar must not see this one's objects
			if cleanup := removeScenario(context.WithoutCancel(ctx), res, s, f, runID); cleanup != nil {
				err = fmt.Errorf("%v; and removing the scenario's objects: %v", err, cleanup)
			}
		}
	}()
	// The offline translation of the same objects says what the client's
	// config should hold (awaitPredicted), before the clock of ApplyToConfig starts.
	out.Offline, out.OfflineErr = offline.Predict(s)
	start := time.Now()
	client, hosts, err := m.apply(ctx, res, s, f, runID, ip, &out)
	if err != nil {
		return out, err
	}
	conn, err := Connect(fmt.Sprintf("127.0.0.1:%d", m.Istiod.Ports.GRPC), client.node)
	if err != nil {
		return out, err
	}
	defer conn.Close()
	if client.sim, err = awaitPredicted(ctx, conn, m.Istiod, s.Checks, f.EndpointHosts, out.Offline, hosts, ConvergeWithin); err != nil {
		return out, err
	}
	out.ApplyToConfig = time.Since(start)
	if out.Predictions, err = judge.FromSimulation(client.sim, s.Checks); err != nil {
		return out, err
	}
	proxies := []sdsProxy{client}
	if f.Gateway != nil {
		gw, err := m.gatewayHop(ctx, *f.Gateway, gatewayIP(ip), &out)
		if err != nil {
			return out, err
		}
		proxies = append(proxies, gw)
	}
	if out.ConfigDump, err = judge.ConfigDump(client.sim); err != nil {
		return out, err
	}
	out.SDS = m.checkCredentials(ctx, cfg, f.CredentialNames, proxies)
	out.DeleteToGone, out.Teardown = remove(ctx, conn, m.Istiod, res, s, f, runID, hosts)
	return out, nil
}

// apply makes the scenario's chart gateway (istiod makes a Gateway API
// one), applies the scenario with the live tier's apply step and reads its
// injected client back: the client proxy to connect as, and the hosts whose
// clusters say its config holds the scenario.
func (m *Mesh) apply(ctx context.Context, res *resources.Resources, s scenarios.Scenario, f facts.Facts, runID, ip string, out *Outcome) (sdsProxy, []string, error) {
	hosts := meshHosts(s)
	if g := f.Gateway; g != nil && !g.Managed() {
		if err := ensureGateway(ctx, res, *g, apply.Owner(runID, s.Name)); err != nil {
			return sdsProxy{}, nil, err
		}
		hosts = append(hosts, g.Host())
	}
	ca, err := workload.NewCA(runID)
	if err != nil {
		return sdsProxy{}, nil, err
	}
	// The hermetic mode's hostAliases too, so that the API server validates
	// the very pod spec the live tier creates (192.0.2.1 stands for the server).
	aliases := workload.HostAliases([]string{"192.0.2.1"}, facts.Hosts(s))
	if err := apply.Scenario(ctx, res, s, apply.Options{RunID: runID, ClientImage: config.DefaultClientImage, CA: ca.CertPEM, HostAliases: aliases}); err != nil {
		return sdsProxy{}, nil, fmt.Errorf("setup: %v", err)
	}
	pod, err := injectedClient(ctx, res, s.Client.Namespace, ip)
	if err != nil {
		return sdsProxy{}, nil, err
	}
	out.ProxyImage, out.NativeSidecar = proxyImage(pod)
	if g := f.Gateway; g != nil {
		if err := gatewayEndpoints(ctx, res, *g, gatewayIP(ip), apply.Owner(runID, s.Name), out); err != nil {
			return sdsProxy{}, nil, err
		}
	}
	node, err := SidecarConfig(pod, config.DefaultIstioVersion)
	if err != nil {
		return sdsProxy{}, nil, err
	}
	return sdsProxy{name: "sidecar", node: node, namespace: s.Client.Namespace, serviceAccount: s.Client.ServiceAccountName()}, hosts, nil
}

// gatewayEndpoints gives the gateway's Service the endpoint its pod at ip
// would have: this API server runs no EndpointSlice controller, and the
// sidecar's route to the gateway is an EDS cluster. For a Gateway API
// gateway it first checks what istiod deployed (its Service among them).
func gatewayEndpoints(ctx context.Context, res *resources.Resources, g egressgateway.Gateway, ip string, owner map[string]string, out *Outcome) error {
	if g.Managed() {
		var err error
		if out.GatewayImage, err = checkManaged(ctx, res, g, ConvergeWithin); err != nil {
			return err
		}
	}
	es := g.EndpointSlice(ip)
	es.Labels = labels.Merge(es.Labels, owner)
	if err := apply.CreateAll(ctx, res, []workload.Object{es}); err != nil {
		return fmt.Errorf("egress gateway %s: its EndpointSlice: %v", g, err)
	}
	return nil
}

// gatewayHop connects as the scenario's egress gateway and predicts the
// gateway's hop of every check that reaches it, from the config istiod
// serves the gateway.
func (m *Mesh) gatewayHop(ctx context.Context, g egressgateway.Gateway, ip string, out *Outcome) (sdsProxy, error) {
	p := sdsProxy{name: "gateway", namespace: g.Namespace, serviceAccount: g.ServiceAccount()}
	var err error
	if p.node, err = GatewayNode(g, ip, config.DefaultIstioVersion); err != nil {
		return p, err
	}
	if p.sim, err = gatewayConfig(ctx, fmt.Sprintf("127.0.0.1:%d", m.Istiod.Ports.GRPC), p.node, m.Istiod, ConvergeWithin); err != nil {
		return p, fmt.Errorf("egress gateway %s: %v", g, err)
	}
	return p, judge.GatewayHops(p.sim, g.Host(), out.Scenario.Checks, out.Predictions)
}

// remove deletes the scenario's objects and waits until their hosts leave
// the sidecar's config: how long that took, or why it failed.
func remove(ctx context.Context, conn *adsc.ADSC, d *Istiod, res *resources.Resources, s scenarios.Scenario, f facts.Facts, runID string, hosts []string) (time.Duration, error) {
	deleted := time.Now()
	if err := removeScenario(ctx, res, s, f, runID); err != nil {
		return 0, fmt.Errorf("teardown: %v", err)
	}
	if _, err := AwaitConfig(ctx, conn, d, hosts, false, ConvergeWithin); err != nil {
		return 0, fmt.Errorf("after the fixtures' teardown: %v", err)
	}
	return time.Since(deleted), nil
}

// removeScenario deletes the scenario's fixtures, and its egress gateway's
// Service and service account, by the run's and the scenario's labels; or
// what istiod deployed for its Gateway API Gateway.
func removeScenario(ctx context.Context, res *resources.Resources, s scenarios.Scenario, f facts.Facts, runID string) error {
	err := apply.DeleteFixtures(ctx, res, s, runID)
	endpointSlice := schema.GroupVersionKind{Group: "discovery.k8s.io", Version: "v1", Kind: "EndpointSlice"}
	if g := f.Gateway; g != nil && g.Managed() {
		err = errors.Join(err, removeManaged(ctx, res, *g, ConvergeWithin), apply.DeleteKinds(ctx, res, []schema.GroupVersionKind{endpointSlice}, apply.Selector(runID, s.Name)))
	} else if g != nil {
		rbac := "rbac.authorization.k8s.io"
		err = errors.Join(err, apply.DeleteKinds(ctx, res, []schema.GroupVersionKind{{Version: "v1", Kind: "Service"}, {Version: "v1", Kind: "ServiceAccount"},
			{Group: rbac, Version: "v1", Kind: "Role"}, {Group: rbac, Version: "v1", Kind: "RoleBinding"}, endpointSlice}, apply.Selector(runID, s.Name)))
	}
	return err
}

// meshHosts are the hosts the scenario's fixtures add to the mesh: the
// ServiceEntries' and the Kubernetes Services' (<name>.<namespace>.svc.
// cluster.local, as Istio's kube registry names them, but ExternalName ones): the sidecar's config
// holds the scenario once it has a cluster for each. An egress gateway's
// Service, made before the fixtures, does not say that.
func meshHosts(s scenarios.Scenario) []string {
	var hosts []string
	for _, o := range s.Objects() {
		if se, ok := istioSpec(o.Istio).(*networking.ServiceEntry); ok {
			hosts = append(hosts, se.GetHosts()...)
		}
		// An ExternalName Service is an alias of the host it names, with no
		// cluster of its own (Istio pilot/pkg/serviceregistry/kube/conversion.go,
		// ConvertService: resolution model.Alias).
		if svc, ok := o.Object.(*corev1.Service); ok && svc.Spec.Type != corev1.ServiceTypeExternalName {
			hosts = append(hosts, fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, svc.Namespace))
		}
	}
	return hosts
}

func istioSpec(c *istioconfig.Config) any {
	if c == nil {
		return nil
	}
	return c.Spec
}
