package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/converge"
	"istio-egress-conformance/harness/curl"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

// Feature is one scenario: Setup creates the client namespace and pod and
// applies the fixtures, one assessment per check, Teardown removes them.
// A scenario that failed to load is a feature whose only assessment fails with
// the loader's message.
func (r *Run) Feature(e scenarios.Entry) features.Feature {
	b := features.New(e.ID)
	if e.Err != nil {
		return b.Assess("load", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			r.record(results.CheckResult{Scenario: e.ID, Check: "load", Failures: []string{e.Err.Error()}})
			t.Fatal(e.Err)
			return ctx
		}).Feature()
	}
	s := e.Scenario
	for k, v := range s.Labels {
		b = b.WithLabel(k, v)
	}
	if why := r.cannotRun(s); why != "" {
		return b.Assess("skipped", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			line := fmt.Sprintf("scenario %s skipped: %s", s.Name, why)
			for _, c := range s.Checks {
				r.recordSkipped(s, c, line)
			}
			t.Skip(line)
			return ctx
		}).Feature()
	}
	b = b.Setup(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		if why := r.cannotRunAfterSetup(s); why != "" {
			line := fmt.Sprintf("scenario %s skipped: %s", s.Name, why)
			for _, c := range s.Checks {
				r.recordSkipped(s, c, line)
			}
			t.Skip(line)
		}
		if err := r.setupScenario(ctx, cfg, s); err != nil {
			r.record(results.CheckResult{Scenario: s.Name, Check: "setup", Failures: []string{err.Error()}})
			t.Error(err)
			// e2e-framework skips a feature's Teardown after a fatal Setup: clean up here.
			r.finishScenario(ctx, t, cfg, s)
			t.FailNow()
		}
		return ctx
	})
	for k, c := range s.Checks {
		b = b.Assess(c.Name, func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			r.assess(ctx, t, cfg, s, k)
			return ctx
		})
	}
	return b.Teardown(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		r.finishScenario(ctx, t, cfg, s)
		return ctx
	}).Feature()
}

// finishScenario collects diagnostics when the scenario failed, then removes
// what its setup created.
func (r *Run) finishScenario(ctx context.Context, t *testing.T, cfg *envconf.Config, s scenarios.Scenario) {
	if t.Failed() {
		_ = r.phase("scenario "+s.Name+": collect diagnostics", func() error { return r.collectDiagnostics(ctx, cfg, s) })
	}
	if r.keep(t.Failed()) {
		fmt.Fprintf(r.Progress, "scenario %s: kept (E2E_KEEP=%s): objects labelled %s\n", s.Name, r.Cfg.Keep, r.ownerSelector(s.Name))
		return
	}
	if err := r.teardownScenario(ctx, cfg, s); err != nil {
		t.Error(err)
	}
}

// setupScenario applies the scenario, waits for the client, then judges its
// sidecar's own config against the offline prediction (JudgeSidecar). That
// judgement does not fail the setup: each check reports what differs.
func (r *Run) setupScenario(ctx context.Context, cfg *envconf.Config, s scenarios.Scenario) error {
	if r.JudgeSidecar == nil {
		return fmt.Errorf("live.Run.JudgeSidecar is not set: the live suite sets it to sidecar.Judge")
	}
	err := r.phase("scenario "+s.Name+": client and fixtures", func() error {
		if err := r.applyScenario(ctx, cfg, s); err != nil {
			return err
		}
		if err := awaitClient(ctx, cfg, s.Client.Namespace); err != nil {
			return err
		}
		return awaitManagedGateway(ctx, cfg, s)
	})
	if err != nil {
		return err
	}
	var ev results.SidecarEvidence
	err = r.phase("scenario "+s.Name+": wait until the client sidecar's config agrees with the offline prediction", func() error {
		var err error
		if ev, err = r.JudgeSidecar(ctx, cfg.Client().Resources(), s, r.serverIPs, r.Cfg.CheckTimeout); err != nil {
			return err
		}
		return ev.Err
	})
	if ev.Offline == nil { // no offline prediction: nothing to judge the sidecar or the checks by
		return err
	}
	r.setEvidence(s.Name, ev)
	return nil
}

// applyScenario is the shared apply step with this run's options: in
// hermetic mode the client pod's hostAliases point the scenario's hosts at the
// hermetic server.
func (r *Run) applyScenario(ctx context.Context, cfg *envconf.Config, s scenarios.Scenario) error {
	o := apply.Options{RunID: r.Cfg.RunID, ClientImage: r.Cfg.ClientImage}
	if r.ca != nil {
		o.CA = r.ca.CertPEM
	}
	o.HostAliases = workload.HostAliases(r.serverIPs, apply.Hosts(s))
	return apply.Scenario(ctx, cfg.Client().Resources(), s, o)
}

// awaitClient waits for the client pod to be Ready with its sidecar.
func awaitClient(ctx context.Context, cfg *envconf.Config, ns string) error {
	res := cfg.Client().Resources()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: workload.ClientPodName, Namespace: ns}}
	if err := wait.For(conditions.New(res).PodReady(pod), wait.WithTimeout(3*time.Minute), wait.WithContext(ctx)); err != nil {
		return fmt.Errorf("client pod %s/%s not ready: %v", ns, pod.Name, err)
	}
	if err := res.Get(ctx, pod.Name, ns, pod); err != nil {
		return err
	}
	if !workload.HasSidecar(pod) {
		return fmt.Errorf("client pod %s/%s has no %s container: sidecar injection did not happen (is istiod running and the namespace labelled istio-injection=enabled?)", ns, pod.Name, workload.SidecarContainer)
	}
	return nil
}

// awaitManagedGateway waits for the gateway istiod deploys for the
// scenario's Gateway API Gateway (its Deployment <name>-<class>, from
// istio-discovery files/kube-gateway.yaml) to be available: the scenario's
// checks go through it.
func awaitManagedGateway(ctx context.Context, cfg *envconf.Config, s scenarios.Scenario) error {
	g, ok := egressgateway.Of(s)
	if !ok || !g.Managed() {
		return nil
	}
	dep := g.ServiceName()
	res := cfg.Client().Resources()
	available := conditions.New(res).DeploymentAvailable(dep, g.Namespace)
	err := wait.For(func(ctx context.Context) (bool, error) {
		done, err := available(ctx)
		if apierrors.IsNotFound(err) {
			return false, nil // istiod has not made it yet
		}
		return done, err
	}, wait.WithTimeout(3*time.Minute), wait.WithInterval(time.Second), wait.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("egress gateway %s: the Deployment %s/%s istiod deploys for it is not available: %v", g, g.Namespace, dep, err)
	}
	return nil
}

// scenarioTeardownPlan deletes the scenario's objects by their labels: the
// fixtures' kinds first, then its namespaces with the client in them.
func (r *Run) scenarioTeardownPlan(cfg *envconf.Config, s scenarios.Scenario) []teardownStep {
	selector := r.ownerSelector(s.Name)
	return append(deleteKindsSteps(cfg, apply.FixtureKinds(s), selector), deleteNamespacesStep(cfg, selector))
}

// teardownScenario runs the scenario's teardown plan. It outlives a cancelled
// run (Ctrl-C) within a bound, so a shared cluster is left clean.
func (r *Run) teardownScenario(ctx context.Context, cfg *envconf.Config, s scenarios.Scenario) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	return r.runSteps(ctx, "scenario "+s.Name+": ", r.scenarioTeardownPlan(cfg, s))
}

// assess runs the scenario's k-th check until it converges, printing every
// attempt on failure, and judges the client sidecar's config for it.
func (r *Run) assess(ctx context.Context, t *testing.T, cfg *envconf.Config, s scenarios.Scenario, k int) {
	c := s.Checks[k]
	if why := r.cannotServe(c); why != "" {
		line := fmt.Sprintf("scenario %s, check %s skipped: %s", s.Name, c.Name, why)
		r.recordSkipped(s, c, line)
		t.Skip(line)
	}
	res := cfg.Client().Resources()
	opts := curl.Options{Method: c.Method}
	if r.Hermetic() {
		opts.CACert = workload.CAFile
	}
	if d := c.DeclaredHostDelay(); d > 0 {
		opts.MaxTime = d + curl.DefaultMaxTime // curl must outwait the slow host
	}
	argv := curl.Command(c.URL, opts)
	_, throughGateway := egressgateway.Of(s)
	obs := curl.Observer{HermeticGateway: throughGateway && r.Hermetic()}
	var outcome results.Convergence
	var last curl.Result
	err := r.phase(fmt.Sprintf("check %s/%s: %s", s.Name, c.Name, c.URL), func() error {
		outcome = converge.Await(ctx, converge.Options{Consecutive: r.Cfg.Consecutive, Deadline: r.Cfg.CheckTimeout},
			func(ctx context.Context) (string, []string, error) {
				result, err := execCurl(ctx, res, s.Client.Namespace, argv)
				if err != nil {
					return "", nil, err
				}
				last = result
				return result.String(), obs.Judge(c.Expect, result), nil
			})
		if !outcome.Passed {
			return errors.New(outcome.Reason)
		}
		return nil
	})
	if err != nil && outcome.Reason == "" {
		outcome.Reason = err.Error() // the check panicked
	}
	verdict := results.CheckResult{Scenario: s.Name, Check: c.Name, URL: c.URL, Expect: c.Expect, HostDelay: c.DeclaredHostDelay(),
		Duration: outcome.Elapsed, Live: &results.LiveObservation{Last: obs.Answer(last), Convergence: outcome}}
	if !outcome.Passed {
		verdict.Failures = append(verdict.Failures, fmt.Sprintf("scenario %s, check %s (%s): %s", s.Name, c.Name, c.URL, outcome))
	}
	ev := r.evidenceFor(s.Name)
	verdict.Prediction, verdict.Sidecar = ev.Predictions(k)
	for _, p := range ev.CheckProblems(c.Name) {
		verdict.Failures = append(verdict.Failures, fmt.Sprintf("scenario %s, check %s: the client sidecar's config: %s", s.Name, c.Name, p))
	}
	verdict.Passed = len(verdict.Failures) == 0
	for _, f := range verdict.Failures {
		t.Error(f)
	}
	r.record(verdict)
}

// ExternalLabel is the scenario label that says which external host a
// scenario needs: hermetic (the run's own server), internet (the real hosts),
// or another value that no live run provides (a doc's own server, say).
const ExternalLabel = "external"

// cannotRun says why this run cannot run the scenario at all; "" when it can.
func (r *Run) cannotRun(s scenarios.Scenario) string {
	if g, ok := egressgateway.Of(s); ok && g.Managed() && r.Hermetic() {
		// The gateway's own Envoy resolves the upstream hosts (STRICT_DNS at
		// the gateway). The run gives the chart gateway it installs the
		// hermetic hostAliases (setupGateways); istiod deploys a Gateway API
		// gateway and owns its Deployment.
		return fmt.Sprintf("egressGateway %s: istiod deploys this Gateway API gateway, whose pods would resolve the hosts through the cluster's DNS, not to the run's server; run it with E2E_EXTERNAL=internet", s.EgressGateway)
	}
	want := s.Labels[ExternalLabel]
	switch {
	case want == "" || want == r.Cfg.External:
		return ""
	case want == config.ExternalHermetic || want == config.ExternalInternet:
		return fmt.Sprintf("label external: %s: it runs with E2E_EXTERNAL=%s, this run has %s", want, want, r.Cfg.External)
	}
	return fmt.Sprintf("label external: %s: no live run provides that host; the offline and control-plane tiers run it", want)
}

// cannotServe says why this run cannot make the check's request as the check
// means it; "" when it can. The hermetic host (stock nginx) answers at once:
// it has no way to take hostDelay, so a check that depends on a slow host
// runs only against the real one (E2E_EXTERNAL=internet).
func (r *Run) cannotServe(c scenarios.Check) string {
	if c.HostDelay != nil && r.Hermetic() {
		return fmt.Sprintf("hostDelay %s: the hermetic host answers at once and cannot be slow; run it with E2E_EXTERNAL=internet", c.HostDelay)
	}
	if c.Expect.From == contract.FromGateway && !r.Hermetic() {
		// The sidecar relays the gateway's own answer as an upstream one
		// (x-envoy-upstream-service-time, server: envoy), as it relays the
		// host's: only the hermetic host's own header tells them apart
		// (curl.Observer).
		return "from: gateway: the gateway's own answer looks like the real host's from the client; only the hermetic host's header tells them apart: run it with E2E_EXTERNAL=hermetic"
	}
	return ""
}

// recordSkipped reports a check this run skipped, with the line that says why.
func (r *Run) recordSkipped(s scenarios.Scenario, c scenarios.Check, line string) {
	r.record(results.CheckResult{Scenario: s.Name, Check: c.Name, URL: c.URL, Expect: c.Expect, Skipped: true, Failures: []string{line}})
}

// execCurl runs curl in the client container. curl's own exit code is part of
// the observation, so an exec error is only an error when curl printed nothing usable.
func execCurl(ctx context.Context, res *resources.Resources, namespace string, argv []string) (curl.Result, error) {
	var stdout, stderr bytes.Buffer
	execErr := res.ExecInPod(ctx, namespace, workload.ClientPodName, workload.ClientContainer, argv, &stdout, &stderr)
	result, err := curl.Parse(stdout.Bytes())
	if err != nil {
		if execErr != nil {
			return curl.Result{}, fmt.Errorf("exec curl in %s/%s: %v (stderr: %q)", namespace, workload.ClientPodName, execErr, stderr.String())
		}
		return curl.Result{}, err
	}
	return result, nil
}

func (r *Run) setEvidence(scenario string, ev results.SidecarEvidence) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.evidence == nil {
		r.evidence = map[string]results.SidecarEvidence{}
	}
	r.evidence[scenario] = ev
}

func (r *Run) evidenceFor(scenario string) results.SidecarEvidence {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.evidence[scenario]
}
