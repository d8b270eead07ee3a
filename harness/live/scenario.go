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
	"istio-egress-conformance/harness/converge"
	"istio-egress-conformance/harness/curl"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// Feature is one scenario: Setup creates the client namespace and pod and
// applies the fixtures, one assessment per check, Teardown removes them.
// Every check gets a report entry on every path: its assessment's outcome, or
// the load, skip or setup failure that kept it from running. A scenario that
// failed to load is a feature whose only assessment fails with the loader's
// message; a failed teardown is an entry of its own.
func (r *Run) Feature(e scenarios.Entry) features.Feature {
	b := features.New(e.ID)
	if e.Err != nil {
		return b.Assess("load", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			r.recorder.Fail(t, results.CheckResult{Scenario: e.ID, Check: "load"}, e.Err.Error())
			return ctx
		}).Feature()
	}
	s := e.Scenario
	for k, v := range s.Labels {
		b = b.WithLabel(k, v)
	}
	if why := r.cannotRun(s); why != "" {
		return b.Assess("skipped", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			r.skipScenario(t, s, why)
			return ctx
		}).Feature()
	}
	b = b.Setup(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		if why := r.cannotRunAfterSetup(s); why != "" {
			r.skipScenario(t, s, why)
		}
		if err := r.setupScenario(ctx, cfg, s); err != nil {
			line := fmt.Sprintf("scenario %s: setup: %v", s.Name, err)
			t.Error(line)
			for _, c := range s.Checks { // e2e-framework runs no assessment after a fatal Setup
				r.recorder.Record(failed(verdict.Entry(s.Name, c), line))
			}
			// e2e-framework skips a feature's Teardown after a fatal Setup: clean up here.
			r.finishScenario(ctx, t, cfg, s)
			t.FailNow()
		}
		return ctx
	})
	for k, c := range s.Checks {
		b = b.Assess(c.Name, func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			r.recorder.Check(t, verdict.Entry(s.Name, c), func(check *verdict.Check) { r.assess(ctx, check, cfg, s, k) })
			return ctx
		})
	}
	return b.Teardown(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		r.finishScenario(ctx, t, cfg, s)
		return ctx
	}).Feature()
}

// failed is entry failed with line.
func failed(entry results.CheckResult, line string) results.CheckResult {
	entry.Failures = append(entry.Failures, line)
	return entry
}

// skipScenario reports every check of the scenario skipped, with why, and
// skips the test.
func (r *Run) skipScenario(t *testing.T, s scenarios.Scenario, why string) {
	line := fmt.Sprintf("scenario %s skipped: %s", s.Name, why)
	for _, c := range s.Checks {
		r.recorder.Skipped(verdict.Entry(s.Name, c), line)
	}
	t.Skip(line)
}

// finishScenario collects diagnostics when the scenario failed, then removes
// what its setup created; a failed removal is a failed "teardown" entry.
func (r *Run) finishScenario(ctx context.Context, t *testing.T, cfg *envconf.Config, s scenarios.Scenario) {
	if t.Failed() {
		_ = r.phase("scenario "+s.Name+": collect diagnostics", func() error { return r.collectDiagnostics(ctx, cfg, s) })
	}
	if r.keep(t.Failed()) {
		fmt.Fprintf(r.Progress, "scenario %s: kept (E2E_KEEP=%s): objects labelled %s\n", s.Name, r.Cfg.Keep, r.ownerSelector(s.Name))
		return
	}
	if err := r.teardownScenario(ctx, cfg, s); err != nil {
		r.recorder.Fail(t, results.CheckResult{Scenario: s.Name, Check: "teardown"}, fmt.Sprintf("scenario %s: teardown: %v", s.Name, err))
	}
}

// setupScenario applies the scenario, waits for the client, then judges its
// sidecar's own config against the offline prediction (the run's SidecarJudge). That
// judgement does not fail the setup: each check reports what differs.
func (r *Run) setupScenario(ctx context.Context, cfg *envconf.Config, s scenarios.Scenario) error {
	if r.judgeSidecar == nil {
		return fmt.Errorf("live.New was given no SidecarJudge: the live suite gives it sidecar.Judge")
	}
	start := time.Now()
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
	var ev verdict.SidecarEvidence
	err = r.phase("scenario "+s.Name+": wait until the client sidecar's config agrees with the offline prediction", func() error {
		var err error
		if ev, err = r.judgeSidecar(ctx, cfg.Client().Resources(), s, r.serverIPs, r.Cfg.CheckTimeout, start); err != nil {
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
	o.HostAliases = workload.HostAliases(r.serverIPs, facts.Hosts(s))
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
	g := facts.Of(s).Gateway
	if g == nil || !g.Managed() {
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
// attempt on failure, and judges it (verdict.Of) with what the run learned
// of the client sidecar's config.
func (r *Run) assess(ctx context.Context, check *verdict.Check, cfg *envconf.Config, s scenarios.Scenario, k int) {
	c := s.Checks[k]
	if why := r.cannotServe(c); why != "" {
		check.Skip(fmt.Sprintf("scenario %s, check %s skipped: %s", s.Name, c.Name, why))
	}
	res := cfg.Client().Resources()
	opts := curl.Options{Method: c.Method, Headers: c.Headers}
	if r.Hermetic() {
		opts.CACert = workload.CAFile
	}
	if d := c.DeclaredHostDelay(); d > 0 {
		opts.MaxTime = d + curl.DefaultMaxTime // curl must outwait the slow host
	}
	argv := curl.Command(c.URL, opts)
	obs := curl.Observer{HermeticGateway: facts.Of(s).Gateway != nil && r.Hermetic()}
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
	ev := r.evidenceFor(s.Name)
	v := verdict.Of(s.Name, c, ev.Evidence(k, c, &results.LiveObservation{Last: obs.Answer(last), Convergence: outcome}), outcome.Elapsed)
	v.Prediction, v.Sidecar = ev.Predictions(k)
	check.Judge(v)
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

func (r *Run) setEvidence(scenario string, ev verdict.SidecarEvidence) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.evidence == nil {
		r.evidence = map[string]verdict.SidecarEvidence{}
	}
	r.evidence[scenario] = ev
}

func (r *Run) evidenceFor(scenario string) verdict.SidecarEvidence {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.evidence[scenario]
}
