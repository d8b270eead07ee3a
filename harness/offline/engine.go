// Package offline predicts what a scenario's checks meet by running the
// scenario's fixtures through Istio's own config translation for a sidecar in
// the client namespace, and simulating each check's request through the
// generated listeners, routes and clusters. No cluster is needed.
package offline

import (
	_ "embed"
	"fmt"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/networking/core"
	"istio.io/istio/pilot/pkg/simulation"
	istioconfig "istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/mesh"
	istiolog "istio.io/istio/pkg/log"
	"istio.io/istio/pkg/test"

	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// Predict translates the scenario's Istio objects into Envoy config for a
// sidecar in the client namespace and returns one prediction per check, in
// order. The sidecar's version is the Istio release the live tier installs
// by default.
func Predict(s scenarios.Scenario) ([]results.Prediction, error) {
	quietIstioLogs()
	configs := istioConfigs(s)
	var predictions []results.Prediction
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
				IstioVersion: config.DefaultIstioVersion,
			},
		})
		var err error
		if predictions, err = judge.FromSimulation(simulation.NewSimulationFromConfigGen(nil, gen, proxy), s.Checks); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("scenario %s: offline translation failed: %v", s.Name, err)
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

func istioConfigs(s scenarios.Scenario) []istioconfig.Config {
	var out []istioconfig.Config
	for _, o := range s.Objects() {
		if o.Istio != nil {
			out = append(out, *o.Istio)
		}
	}
	return out
}
