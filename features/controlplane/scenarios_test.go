package controlplane

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pkg/adsc"
	corev1 "k8s.io/api/core/v1"

	"istio-egress-conformance/harness/apiserver"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/controlplane"
	"istio-egress-conformance/harness/live"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/reports"
	"istio-egress-conformance/scenarios"
)

// convergeWithin bounds each wait for istiod's config to reach the sidecar.
const convergeWithin = 30 * time.Second

// TestScenarios runs every catalog scenario through the real istiod: one
// subtest per check, named <scenario>/<check>, as in the offline tier.
func TestScenarios(t *testing.T) {
	catalog, err := scenarios.FromEnv()
	require.NoError(t, err)
	srv, mesh := bringUp(t)
	for i, entry := range catalog {
		t.Run(entry.ID, func(t *testing.T) {
			if entry.Err != nil {
				record(reports.CheckResult{Scenario: entry.ID, Check: "load", Failures: []string{entry.Err.Error()}})
				t.Fatal(entry.Err)
			}
			runScenario(t, srv, mesh, i, entry.Scenario)
		})
	}
}

// runScenario applies the scenario with the live tier's own step, in
// namespaces of its own (E2E_UNIQUE_NAMESPACES' suffix: an API server
// without a namespace controller never finishes deleting one), connects as
// the injected client's sidecar, and judges each check on the config istiod
// served. After the fixtures' teardown, their hosts must leave the config.
func runScenario(t *testing.T, srv apiserver.Server, mesh *controlplane.Mesh, i int, original scenarios.Scenario) {
	ctx := context.Background()
	cfg := srv.Config
	res := cfg.Client().Resources()
	runID := fmt.Sprintf("c0de%04d", i)
	s, err := original.WithNamespaceSuffix(runID)
	require.NoError(t, err)
	fail := func(check string, err error) {
		record(reports.CheckResult{Scenario: s.Name, Check: check, Failures: []string{err.Error()}})
		t.Fatalf("scenario %s, %s: %v", s.Name, check, err)
	}

	r := live.New(config.Config{RunID: runID, ClientImage: config.DefaultClientImage, ServerImage: config.DefaultServerImage},
		preflight.Report{Mode: preflight.ModeExisting}, nil, io.Discard)
	ca, err := workload.NewCA(runID)
	require.NoError(t, err)
	start := time.Now()
	if err := r.ApplyScenario(ctx, cfg, s, ca); err != nil {
		fail("setup", err)
	}
	pod, err := controlplane.InjectedClient(ctx, res, s.Client.Namespace, fmt.Sprintf("10.244.0.%d", 10+i))
	if err != nil {
		fail("injection", err)
	}
	image, native := controlplane.ProxyImage(pod)
	setEnvironment("injectedProxyImage", image)
	setEnvironment("nativeSidecar", fmt.Sprint(native))

	node, err := controlplane.SidecarConfig(pod, offline.ProxyIstioVersion)
	require.NoError(t, err)
	conn, err := controlplane.Connect(fmt.Sprintf("127.0.0.1:%d", mesh.Istiod.Ports.GRPC), node)
	if err != nil {
		fail("xds", err)
	}
	defer conn.Close()
	hosts := serviceEntryHosts(s)
	sim, err := controlplane.AwaitConfig(ctx, conn, mesh.Istiod, hosts, true, convergeWithin)
	if err != nil {
		fail("xds", err)
	}
	setEnvironment("applyToConfig/"+s.Name, time.Since(start).Round(time.Millisecond).String())

	predictions, err := offline.FromSimulation(sim, s.Checks)
	if err != nil {
		fail("simulate", err)
	}
	offlinePredictions, err := offline.Predict(s)
	require.NoError(t, err)
	perCheck := time.Since(start) / time.Duration(len(s.Checks))
	for k, check := range s.Checks {
		p := predictions[k]
		t.Run(check.Name, func(t *testing.T) {
			t.Logf("%s %s: %s", s.Name, check.URL, p)
			res := reports.CheckResult{Scenario: s.Name, Check: check.Name, URL: check.URL, Expect: check.Expect, Prediction: &p, Duration: perCheck}
			for _, m := range offline.Verify(check.Expect, p) {
				msg := fmt.Sprintf("scenario %s, check %s: %s", s.Name, check.Name, m)
				res.Failures = append(res.Failures, msg)
				t.Error(msg)
			}
			res.Passed = len(res.Failures) == 0
			record(res)
			assert.Equal(t, offlinePredictions[k], p, "the real istiod's config must predict what the offline translation predicts")
		})
	}

	for _, name := range credentialNames(s) {
		t.Run("sds-"+name, func(t *testing.T) { checkSDS(t, srv, mesh, sim, s, node, name) })
	}

	deleted := time.Now()
	if err := r.DeleteFixtures(ctx, cfg, s); err != nil {
		fail("teardown", err)
	}
	if _, err := controlplane.AwaitConfig(ctx, conn, mesh.Istiod, hosts, false, convergeWithin); err != nil {
		fail("teardown", fmt.Errorf("after the fixtures' teardown: %v", err))
	}
	setEnvironment("deleteToGone/"+s.Name, time.Since(deleted).Round(time.Millisecond).String())
}

// credentialNames are the credentialNames of the scenario's DestinationRules.
func credentialNames(s scenarios.Scenario) []string {
	var names []string
	for _, o := range s.Objects() {
		if o.Istio == nil {
			continue
		}
		if dr, ok := o.Istio.Spec.(*networking.DestinationRule); ok && dr.GetTrafficPolicy().GetTls().GetCredentialName() != "" {
			names = append(names, dr.GetTrafficPolicy().GetTls().GetCredentialName())
		}
	}
	return names
}

// checkSDS answers the live tier's riskiest assumption for real: the sidecar's
// cluster verifies the upstream with the SDS secret of the DestinationRule's
// credentialName, and istiod serves it, over its mTLS port to a workload
// certificate of the client's service account, carrying the run's CA from the
// Secret's cacert key. A credentialName without a Secret gets no answer.
func checkSDS(t *testing.T, srv apiserver.Server, mesh *controlplane.Mesh, sim *simulation.Simulation, s scenarios.Scenario, node adsc.Config, credentialName string) {
	result := reports.CheckResult{Scenario: s.Name, Check: "sds-" + credentialName}
	defer func() {
		result.Passed = !t.Failed()
		if t.Failed() {
			result.Failures = []string{"see the test log: the sidecar would not get the CA of credentialName " + credentialName}
		}
		record(result)
	}()
	var sdsName string
	for _, cl := range sim.Clusters {
		if n := controlplane.ValidationSecret(cl); strings.HasSuffix(n, "/"+credentialName+"-cacert") {
			sdsName = n
		}
	}
	require.NotEmpty(t, sdsName, "no cluster verifies its upstream with credentialName %s: Istio drops it from a sidecar DestinationRule without a workloadSelector", credentialName)
	var secret corev1.Secret
	require.NoError(t, srv.Config.Client().Resources().Get(context.Background(), credentialName, s.Client.Namespace, &secret))

	certDir := t.TempDir()
	require.NoError(t, controlplane.WorkloadCertDir(certDir, mesh.CACert, mesh.CAKey, s.Client.Namespace, "default"))
	secure := fmt.Sprintf("127.0.0.1:%d", mesh.Istiod.Ports.SecureGRPC)
	got, err := controlplane.FetchSecret(secure, node, certDir, sdsName, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, string(secret.Data["cacert"]), string(got.GetValidationContext().GetTrustedCa().GetInlineBytes()), "the sidecar trusts the run's CA")

	missing := "kubernetes://egress-conformance-missing-cacert"
	_, err = controlplane.FetchSecret(secure, node, certDir, missing, 3*time.Second)
	assert.ErrorIs(t, err, controlplane.ErrNoSecret, "a credentialName whose Secret does not exist gets the sidecar nothing")
}

// serviceEntryHosts are the hosts the scenario's ServiceEntries add to the mesh.
func serviceEntryHosts(s scenarios.Scenario) []string {
	var hosts []string
	for _, o := range s.Objects() {
		if o.Istio == nil {
			continue
		}
		if se, ok := o.Istio.Spec.(*networking.ServiceEntry); ok {
			hosts = append(hosts, se.GetHosts()...)
		}
	}
	return hosts
}
