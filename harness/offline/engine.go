// Package offline predicts what a scenario's checks meet by running the
// scenario's fixtures through Istio's own config translation for a sidecar in
// the client namespace, and simulating each check's request through the
// generated listeners, routes and clusters. No cluster is needed.
package offline

import (
	_ "embed"
	"fmt"
	"net"
	"net/url"
	"strconv"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/networking/core"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/mesh"
	istiolog "istio.io/istio/pkg/log"
	"istio.io/istio/pkg/test"

	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// ProxyIstioVersion is the sidecar version the translation targets: the Istio
// release the harness installs by default.
const ProxyIstioVersion = "1.32.0"

// externalAddress stands for the public address the client resolves the
// external host to. It matches no mesh listener, as a real Internet address would not.
const externalAddress = "203.0.113.10"

// Predict translates the scenario's Istio objects into Envoy config for a
// sidecar in the client namespace and returns one prediction per check, in order.
func Predict(s scenarios.Scenario) ([]Prediction, error) {
	quietIstioLogs()
	configs := istioConfigs(s)
	var predictions []Prediction
	// Istio's test fixtures report failures through a test.Failer and stop
	// their informers on its cleanup; test.Wrap turns both into an error and a
	// return, so the engine is an ordinary function.
	err := test.Wrap(func(t test.Failer) {
		gen := core.NewConfigGenTest(t, core.TestOptions{Configs: configs, MeshConfig: meshConfig()})
		proxy := gen.SetupProxy(&model.Proxy{
			ConfigNamespace: s.Client.Namespace,
			Labels:          workload.ClientLabels(),
			Metadata: &model.NodeMetadata{
				Namespace:    s.Client.Namespace,
				Labels:       workload.ClientLabels(),
				IstioVersion: ProxyIstioVersion,
			},
		})
		var err error
		if predictions, err = FromSimulation(simulation.NewSimulationFromConfigGen(nil, gen, proxy), s.Checks); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("scenario %s: offline translation failed: %v", s.Name, err)
	}
	return predictions, nil
}

// FromSimulation predicts every check, in order, from a sidecar's config:
// the one Istio's translation generates here, or one a real istiod served
// (the control-plane tier). Both tiers judge predictions with Verify.
func FromSimulation(sim *simulation.Simulation, checks []scenarios.Check) ([]Prediction, error) {
	var predictions []Prediction
	for _, c := range checks {
		p, err := predict(sim, c)
		if err != nil {
			return nil, fmt.Errorf("check %s: %v", c.Name, err)
		}
		predictions = append(predictions, p)
	}
	return predictions, nil
}

// quietIstioLogs keeps Istio's informer chatter (dozens of info lines per
// scenario) out of test output; its warnings and errors still show.
func quietIstioLogs() {
	for _, scope := range istiolog.Scopes() {
		scope.SetOutputLevel(istiolog.WarnLevel)
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

func istioConfigs(s scenarios.Scenario) []config.Config {
	var out []config.Config
	for _, o := range s.Objects() {
		if o.Istio != nil {
			out = append(out, *o.Istio)
		}
	}
	return out
}

// call turns a check's URL into the connection the client's curl makes, as
// seen by the sidecar after iptables redirection.
func call(c scenarios.Check) (simulation.Call, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return simulation.Call{}, err
	}
	port := 80
	tls := simulation.Plaintext
	if u.Scheme == "https" {
		port, tls = 443, simulation.TLS
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return simulation.Call{}, fmt.Errorf("url %q: port %q is not a number", c.URL, p)
		}
	}
	host := u.Hostname()
	sni := ""
	if tls == simulation.TLS {
		sni = host
	}
	hostHeader := host
	if u.Port() != "" {
		hostHeader = net.JoinHostPort(host, u.Port())
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return simulation.Call{
		Address:    externalAddress,
		Port:       port,
		Path:       path,
		Protocol:   simulation.HTTP,
		TLS:        tls,
		HostHeader: hostHeader,
		Sni:        sni,
		CallMode:   simulation.CallModeOutbound,
	}, nil
}
