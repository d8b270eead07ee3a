package live

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"io"

	"istio-egress-conformance/harness/cluster"
	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

func TestHostsCoverURLsAndSNI(t *testing.T) {
	seed, err := scenarios.BuiltinNamed("tetrate-https-egress")
	require.NoError(t, err)
	assert.Equal(t, []string{"www.tetrate.io", "tetrate.io"}, facts.Hosts(seed),
		"the hermetic certificate must cover the URL host and the DestinationRule's SNI")
	hermetic := New(config.Config{External: config.ExternalHermetic}, preflight.Report{}, scenarios.Builtin(), io.Discard, nil)
	assert.Equal(t, []string{"www.google.com", "edition.cnn.com", "en.wikipedia.org", "de.wikipedia.org", "httpbin.org", "www.tetrate.io", "tetrate.io"},
		facts.Hosts(hermetic.runnableScenarios(nil)...), "a hermetic run serves the hosts of the scenarios it runs, not those that need the real ones")
}

func TestPhasePrintsWhatAndHowLong(t *testing.T) {
	var out bytes.Buffer
	r := &Run{Progress: &out}
	assert.NoError(t, r.phase("istio: install", func() error { return nil }))
	assert.EqualError(t, r.phase("cluster: create", func() error { return errors.New("no space left") }), "no space left")
	assert.Regexp(t, `^==> istio: install\n<== istio: install: done in [0-9.]+m?s\n==> cluster: create\n<== cluster: create: FAILED: no space left in [0-9.]+m?s\n$`, out.String())
}

func TestPhaseTurnsAPanicIntoTheStepsError(t *testing.T) {
	var out bytes.Buffer
	r := &Run{Progress: &out}
	var m map[string]int
	err := r.phase("check seed/http", func() error { m["x"]++; return nil })
	assert.EqualError(t, err, "panic: assignment to entry in nil map (stack above)")
	assert.Contains(t, out.String(), "panic: assignment to entry in nil map\ngoroutine ")
	assert.Contains(t, out.String(), "live_test.go", "the stack names where it happened")
	assert.Regexp(t, `<== check seed/http: FAILED: panic: assignment to entry in nil map \(stack above\) in [0-9.]+m?s\n$`, out.String())
	assert.NoError(t, r.phase("teardown: next step", func() error { return nil }), "the run goes on to its teardown")
}

func TestKeptMessageSaysHowToRemove(t *testing.T) {
	r := New(config.Config{RunID: "abcd1234"}, preflight.Report{Mode: preflight.ModeExisting}, scenarios.Builtin(), io.Discard, nil)
	assert.Equal(t, "objects labelled egress-conformance.io/run-id=abcd1234 kept; remove them with: make sweep RUN_ID=abcd1234, or by hand: "+
		"kubectl delete referencegrant.gateway.networking.k8s.io,rolebinding.rbac.authorization.k8s.io,role.rbac.authorization.k8s.io,service,tlsroute.gateway.networking.k8s.io,destinationrule.networking.istio.io,gateway.networking.istio.io,httproute.gateway.networking.k8s.io,gateway.gateway.networking.k8s.io,secret,virtualservice.networking.istio.io,serviceentry.networking.istio.io,sidecar.networking.istio.io,namespaces -A -l egress-conformance.io/run-id=abcd1234",
		r.KeptMessage())
	r.installedIstio = true
	assert.Equal(t, "objects labelled egress-conformance.io/run-id=abcd1234 kept; remove them with: make sweep RUN_ID=abcd1234, or by hand: "+
		"go tool helm uninstall istiod istio-base -n istio-system; "+
		"then kubectl delete referencegrant.gateway.networking.k8s.io,rolebinding.rbac.authorization.k8s.io,role.rbac.authorization.k8s.io,service,tlsroute.gateway.networking.k8s.io,destinationrule.networking.istio.io,gateway.networking.istio.io,httproute.gateway.networking.k8s.io,gateway.gateway.networking.k8s.io,secret,virtualservice.networking.istio.io,serviceentry.networking.istio.io,sidecar.networking.istio.io,namespaces -A -l egress-conformance.io/run-id=abcd1234",
		r.KeptMessage())
	r.kind = &cluster.Kind{Name: "nightly"}
	assert.Equal(t, `kind cluster "nightly" kept; remove it with: go tool kind delete cluster --name nightly`, r.KeptMessage())
}

func TestKeepPolicies(t *testing.T) {
	for keep, want := range map[string][2]bool{ // [passed, failed]
		config.KeepNever:     {false, false},
		config.KeepAlways:    {true, true},
		config.KeepOnFailure: {false, true},
	} {
		r := &Run{Cfg: config.Config{Keep: keep}}
		assert.Equal(t, want, [2]bool{r.keep(false), r.keep(true)}, keep)
	}
}

func TestTeardownKeepsWhatE2EKeepSays(t *testing.T) {
	var out bytes.Buffer
	r := &Run{Cfg: config.Config{RunID: "abcd1234", Keep: config.KeepOnFailure}, Progress: &out, Runner: failRunner{t}, recorder: verdict.NewRecorder(results.TierLive, nil)}
	r.installedIstio = true // teardown would run helm: failRunner fails the test if it does
	r.recorder.Skipped(results.CheckResult{Scenario: "s", Check: "c"}, "a skipped check is no failure")
	r.recorder.Record(results.CheckResult{Scenario: "s", Check: "setup", Failures: []string{"setup failed"}})
	_, err := r.Teardown()(context.Background(), nil)
	assert.NoError(t, err)
	assert.Contains(t, out.String(), "teardown skipped (E2E_KEEP=on-failure): objects labelled egress-conformance.io/run-id=abcd1234 kept; remove them with: make sweep RUN_ID=abcd1234")
}

type failRunner struct{ t *testing.T }

func (f failRunner) Run(_ context.Context, argv ...string) ([]byte, error) {
	f.t.Errorf("nothing may run when the run is kept: %v", argv)
	return nil, nil
}

func planNames(r *Run) []string {
	var names []string
	for _, s := range r.teardownPlan(envconf.New()) {
		names = append(names, s.name)
	}
	return names
}

func TestTeardownPlans(t *testing.T) {
	existing := preflight.Report{Mode: preflight.ModeExisting}
	run := func(mutate func(r *Run)) *Run {
		r := New(config.Config{RunID: "abcd1234"}, existing, scenarios.Builtin(), io.Discard, nil)
		mutate(r)
		return r
	}
	const (
		fixtures   = "delete ReferenceGrant.gateway.networking.k8s.io, RoleBinding, Role, Service, TLSRoute.gateway.networking.k8s.io, DestinationRule, Gateway, HTTPRoute.gateway.networking.k8s.io, Gateway.gateway.networking.k8s.io, Secret, VirtualService, ServiceEntry, Sidecar labelled egress-conformance.io/run-id=abcd1234,egress-conformance.io/scenario"
		namespaces = "delete namespaces labelled egress-conformance.io/run-id=abcd1234"
		helm       = "helm uninstall the releases labelled egress-conformance.io/run-id=abcd1234"
		crds       = "delete the Gateway API CRDs labelled egress-conformance.io/run-id=abcd1234 that hold no other run's objects"
	)

	created := run(func(r *Run) { r.kind, r.installedIstio = &cluster.Kind{Name: "egress-conformance"}, true })
	assert.Equal(t, []string{"delete kind cluster egress-conformance"}, planNames(created), "a created cluster goes whole")
	created.recorder.Record(results.CheckResult{Scenario: "s", Check: "c", Failures: []string{"failed"}})
	assert.Equal(t, []string{"kind export logs", "delete kind cluster egress-conformance"}, planNames(created))

	reusedWithIstio := run(func(r *Run) {})
	assert.Equal(t, []string{fixtures, namespaces}, planNames(reusedWithIstio),
		"a reused cluster keeps its Istio; only what carries the run id goes")

	// Cancelled runs: the plan covers what was made before the interrupt; the
	// envtest and signal tests show it running on a context of its own.
	cancelledInKindCreate := run(func(r *Run) { r.kind = &cluster.Kind{Name: "egress-conformance"} })
	assert.Equal(t, []string{"delete kind cluster egress-conformance"}, planNames(cancelledInKindCreate), "a half-made cluster goes too")
	cancelledInHelm := run(func(r *Run) { r.installedIstio = true })
	assert.Equal(t, []string{fixtures, helm, namespaces}, planNames(cancelledInHelm),
		"the releases that got installed are found by label, before their namespace goes (istio-system, when the run made it)")

	gatewaysOnly := run(func(r *Run) {
		r.installedGateways, r.installedCRDs = []egressgateway.Gateway{{Namespace: "istio-system", Name: "istio-egressgateway"}}, true
	})
	assert.Equal(t, []string{fixtures, helm, crds, namespaces}, planNames(gatewaysOnly),
		"a gateway the run installed into someone's Istio is uninstalled; the Gateway API CRDs it created go after the routes")

	assert.Empty(t, planNames(&Run{}), "no cluster was had: nothing to delete")
}

func TestScenarioTeardownPlanSelectsTheScenario(t *testing.T) {
	seed, err := scenarios.BuiltinNamed("tetrate-https-egress")
	require.NoError(t, err)
	r := New(config.Config{RunID: "abcd1234"}, preflight.Report{Mode: preflight.ModeExisting}, []scenarios.Entry{{ID: seed.Name, Scenario: seed}}, io.Discard, nil)
	var names []string
	for _, s := range r.scenarioTeardownPlan(envconf.New(), r.scenarios()[0]) {
		names = append(names, s.name)
	}
	assert.Equal(t, []string{
		"delete DestinationRule, VirtualService, ServiceEntry labelled egress-conformance.io/run-id=abcd1234,egress-conformance.io/scenario=tetrate-https-egress",
		"delete namespaces labelled egress-conformance.io/run-id=abcd1234,egress-conformance.io/scenario=tetrate-https-egress",
	}, names, "fixtures first, in reverse order of application, then namespaces")
}

func TestUniqueNamespacesRenameTheCatalog(t *testing.T) {
	r := New(config.Config{RunID: "abcd1234", UniqueNamespaces: true}, preflight.Report{}, scenarios.Builtin(), io.Discard, nil)
	var clients, want []string
	for _, s := range r.scenarios() {
		clients = append(clients, s.Client.Namespace)
	}
	for _, e := range scenarios.Builtin() {
		want = append(want, e.Scenario.Client.Namespace+"-abcd1234")
	}
	assert.Equal(t, want, clients)
	assert.Contains(t, clients, "egress-registry-only-abcd1234")
	assert.Equal(t, "egress-external-abcd1234", r.serverNamespace())
	assert.Equal(t, "egress-external", New(config.Config{RunID: "abcd1234"}, preflight.Report{}, nil, io.Discard, nil).serverNamespace())
}

func TestHelmUninstallStepFindsReleasesByLabel(t *testing.T) {
	list := "/bin/helm list --all-namespaces --deployed --failed --pending --uninstalling --selector egress-conformance.io/run-id=abcd1234 --output json --kubeconfig /kc"
	rec := &command.Recorder{Replies: map[string]command.Reply{list: {Out: []byte(`[{"name":"istio-base","namespace":"istio-system"},{"name":"istiod","namespace":"istio-system"}]`)}}}
	r := &Run{Cfg: config.Config{RunID: "abcd1234"}, Report: preflight.Report{Mode: preflight.ModeExisting, Tools: map[string]string{"helm": "/bin/helm"}},
		Runner: rec, installedIstio: true}
	plan := r.teardownPlan(envconf.NewWithKubeConfig("/kc"))
	require.Equal(t, "helm uninstall the releases labelled egress-conformance.io/run-id=abcd1234", plan[0].name)
	require.NoError(t, plan[0].do(context.Background()))
	assert.Equal(t, []string{
		list,
		"/bin/helm uninstall istiod --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
		"/bin/helm uninstall istio-base --namespace istio-system --wait --timeout 5m --kubeconfig /kc",
	}, rec.Lines())
}

// TestSlowHostChecksNeedTheRealHost: stock nginx cannot take hostDelay, so the
// hermetic run skips such a check with a line naming hostDelay; the internet
// run makes it (egress-control's httpbin.org/delay/5 answers after 5s).
func TestSlowHostChecksNeedTheRealHost(t *testing.T) {
	slow := scenarios.Check{Name: "timeout-fires", HostDelay: &contract.Duration{Duration: 5 * time.Second}}
	hermetic := &Run{Cfg: config.Config{External: config.ExternalHermetic}}
	assert.Equal(t, "hostDelay 5s: the hermetic host answers at once and cannot be slow; run it with E2E_EXTERNAL=internet", hermetic.cannotServe(slow))
	assert.Empty(t, hermetic.cannotServe(scenarios.Check{Name: "fast"}))
	internet := &Run{Cfg: config.Config{External: config.ExternalInternet}}
	assert.Empty(t, internet.cannotServe(slow))

	fromGateway := scenarios.Check{Name: "gateway-504", Expect: contract.Expect{Status: 504, From: contract.FromGateway}}
	assert.Equal(t, "from: gateway: the gateway's own answer looks like the real host's from the client; only the hermetic host's header tells them apart: run it with E2E_EXTERNAL=hermetic",
		internet.cannotServe(fromGateway))
	assert.Empty(t, hermetic.cannotServe(fromGateway), "the hermetic host stamps its answers: curl.Observer tells the gateway's")
}

// TestExternalLabelSelectsTheRuns: a scenario labelled external: internet
// needs the real hosts, one labelled hermetic the run's own server; another
// value (a doc's own mTLS server) no live run provides.
func TestExternalLabelSelectsTheRuns(t *testing.T) {
	hermetic := &Run{Cfg: config.Config{External: config.ExternalHermetic}}
	internet := &Run{Cfg: config.Config{External: config.ExternalInternet}}
	needs := func(v string) scenarios.Scenario {
		return scenarios.Scenario{Labels: map[string]string{ExternalLabel: v}}
	}
	assert.Empty(t, hermetic.cannotRun(scenarios.Scenario{}))
	assert.Empty(t, hermetic.cannotRun(needs("hermetic")))
	assert.Equal(t, "label external: internet: it runs with E2E_EXTERNAL=internet, this run has hermetic", hermetic.cannotRun(needs("internet")))
	assert.Equal(t, "label external: hermetic: it runs with E2E_EXTERNAL=hermetic, this run has internet", internet.cannotRun(needs("hermetic")))
	assert.Empty(t, internet.cannotRun(needs("internet")))
	assert.Equal(t, "label external: mtls-server: no live run provides that host; the offline and control-plane tiers run it", internet.cannotRun(needs("mtls-server")))
	chart := scenarios.Scenario{Name: "through-chart", EgressGateway: "istio-egressgateway"}
	assert.Empty(t, hermetic.cannotRun(chart), "the run gives the chart gateway it installs the hermetic hostAliases")
	assert.Empty(t, internet.cannotRun(chart))
	assert.Equal(t, "egressGateway istio-system/istio-egressgateway: it was installed before this run, so its pods have no hostAliases for the hermetic server and resolve the hosts through the cluster's DNS; run it with E2E_EXTERNAL=internet",
		hermetic.cannotRunAfterSetup(chart), "someone else's gateway: skipped with a line, never touched")
	hermetic.installedGateways = []egressgateway.Gateway{{Namespace: "istio-system", Name: "istio-egressgateway"}}
	assert.Empty(t, hermetic.cannotRunAfterSetup(chart))
	assert.Empty(t, internet.cannotRunAfterSetup(chart))

	managed, err := scenarios.BuiltinNamed("istio-doc-egress-gateway-http-gatewayapi")
	require.NoError(t, err)
	managed.Labels = nil
	assert.Equal(t, "egressGateway istio-doc-egress-gateway-api/cnn-egress-gateway: istiod deploys this Gateway API gateway, whose pods would resolve the hosts through the cluster's DNS, not to the run's server; run it with E2E_EXTERNAL=internet",
		hermetic.cannotRun(managed), "skipped with a line, never a silent pass")
	assert.Empty(t, internet.cannotRun(managed))
}

// TestAFailedSetupStepFailsEveryCheck: e2e-framework runs no feature after a
// failed Setup action; every check the run was to make gets a failed entry
// with the step's error, so the teardown sees a failed run (kind's logs,
// E2E_KEEP=on-failure) and the reports say why.
func TestAFailedSetupStepFailsEveryCheck(t *testing.T) {
	r := New(config.Config{RunID: "abcd1234", External: config.ExternalHermetic}, preflight.Report{}, scenarios.Builtin(), io.Discard, nil)
	focused := envconf.New().WithFeatureRegex("^tetrate-https-egress$")
	_, err := r.step(context.Background(), focused, "istio", func(ctx context.Context, _ *envconf.Config) (context.Context, error) {
		return ctx, errors.New("helm install istiod: timed out waiting for the condition")
	})
	require.Error(t, err)
	assert.True(t, r.anyFailed())
	run := r.recorder.Run()
	require.Len(t, run.Results, 2, "the seed's two checks, the only ones the focused run makes")
	for _, res := range run.Results {
		assert.False(t, res.Passed)
		assert.Equal(t, []string{"setup, istio: helm install istiod: timed out waiting for the condition"}, res.Failures)
	}
}
