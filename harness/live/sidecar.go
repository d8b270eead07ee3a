package live

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"istio.io/istio/pilot/pkg/simulation"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"istio-egress-conformance/harness/converge"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// sidecarView is one reading of the client sidecar's own Envoy.
type sidecarView struct {
	sim *simulation.Simulation
	// resolved holds each cluster's current host addresses.
	resolved map[string][]string
}

// sidecarReader reads the client sidecar of a namespace; tests replace the exec.
type sidecarReader func(ctx context.Context, namespace string) (sidecarView, error)

// execSidecarReader reads the sidecar through pilot-agent in the istio-proxy
// container, as Istio's own test framework does (pkg/test/framework/components/echo/kube/sidecar.go:
// `pilot-agent request GET <path>` against Envoy's admin port).
func execSidecarReader(res *resources.Resources) sidecarReader {
	return func(ctx context.Context, namespace string) (sidecarView, error) {
		dump, err := pilotAgentGet(ctx, res, namespace, "config_dump")
		if err != nil {
			return sidecarView{}, err
		}
		sim, err := judge.FromConfigDump(dump)
		if err != nil {
			return sidecarView{}, err
		}
		status, err := pilotAgentGet(ctx, res, namespace, "clusters?format=json")
		if err != nil {
			return sidecarView{}, err
		}
		resolved, err := judge.ResolvedAddresses(status)
		if err != nil {
			return sidecarView{}, err
		}
		return sidecarView{sim: sim, resolved: resolved}, nil
	}
}

// pilotAgentGet asks the sidecar's Envoy admin endpoint for path. pilot-agent
// exits 0 even on a 404, so the caller's parser is what judges the answer.
func pilotAgentGet(ctx context.Context, res *resources.Resources, namespace, path string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	argv := []string{"pilot-agent", "request", "GET", path}
	if err := res.ExecInPod(ctx, namespace, workload.ClientPodName, workload.SidecarContainer, argv, &stdout, &stderr); err != nil {
		return nil, fmt.Errorf("exec %s in %s/%s container %s: %v (stderr: %q)", strings.Join(argv, " "), namespace, workload.ClientPodName, workload.SidecarContainer, err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// sidecarJudgement is the sidecar's prediction per check and what keeps it
// from agreeing with the offline tier.
type sidecarJudgement struct {
	predictions []results.Prediction
	// problems are per check name, one line each.
	problems map[string][]string
}

// judgeSidecar predicts every check from the sidecar's own config and
// compares with the offline predictions (want). In hermetic mode (serverIPs
// set) every DNS cluster a check reaches must have resolved to the hermetic
// server, or curl's answer would be about another host.
func judgeSidecar(view sidecarView, s scenarios.Scenario, want []results.Prediction, serverIPs []string) (sidecarJudgement, error) {
	got, err := judge.FromSimulation(view.sim, s.Checks)
	if err != nil {
		return sidecarJudgement{}, fmt.Errorf("the sidecar's config: %v", err)
	}
	j := sidecarJudgement{predictions: got, problems: map[string][]string{}}
	for i, c := range s.Checks {
		j.problems[c.Name] = results.Disagreements("sidecar", got[i], "offline", want[i])
		if line := unresolved(view, got[i], serverIPs); line != "" {
			j.problems[c.Name] = append(j.problems[c.Name], line)
		}
	}
	return j, nil
}

// unresolved says how the sidecar's DNS cluster for the check misses the
// hermetic server; "" when it does not (or the run is not hermetic).
func unresolved(view sidecarView, p results.Prediction, serverIPs []string) string {
	if len(serverIPs) == 0 || p.Cluster == "" || !judge.ResolvesByDNS(view.sim, p.Cluster) {
		return ""
	}
	addrs := view.resolved[p.Cluster]
	if len(addrs) == 0 {
		return fmt.Sprintf("the sidecar has not resolved %s (cluster %s) yet", p.UpstreamHost, p.Cluster)
	}
	for _, a := range addrs {
		if !slices.Contains(serverIPs, a) {
			return fmt.Sprintf("the sidecar resolved %s (cluster %s) to %s, not to the hermetic server's %s: the client pod's hostAliases did not reach its Envoy",
				p.UpstreamHost, p.Cluster, strings.Join(addrs, ", "), strings.Join(serverIPs, ", "))
		}
	}
	return ""
}

// problemLines are the judgement's problems as "check <name>: <problem>".
func (j sidecarJudgement) problemLines(s scenarios.Scenario) []string {
	var lines []string
	for _, c := range s.Checks {
		for _, p := range j.problems[c.Name] {
			lines = append(lines, fmt.Sprintf("check %s: %s", c.Name, p))
		}
	}
	return lines
}

// awaitSidecar reads the client sidecar until its config predicts what the
// offline tier predicts for every check (so it holds the scenario's objects:
// a 504 from a 1 ms timeout comes with or without TLS origination, only the
// config tells them apart), or within passes. It returns the last judgement,
// and an error naming what still differs when the sidecar never agreed.
func awaitSidecar(ctx context.Context, read sidecarReader, s scenarios.Scenario, want []results.Prediction, serverIPs []string, within, interval time.Duration) (sidecarJudgement, error) {
	var last sidecarJudgement
	outcome := converge.Await(ctx, converge.Options{Consecutive: 1, Deadline: within, Interval: interval}, func(ctx context.Context) (string, []string, error) {
		view, err := read(ctx, s.Client.Namespace)
		if err != nil {
			return "", nil, err
		}
		j, err := judgeSidecar(view, s, want, serverIPs)
		if err != nil {
			return "", nil, err
		}
		last = j
		return fmt.Sprintf("%d listeners, %d clusters, %d route configs", len(view.sim.Listeners), len(view.sim.Clusters), len(view.sim.Routes)), j.problemLines(s), nil
	})
	if !outcome.Passed {
		return last, fmt.Errorf("the client sidecar's config never agreed with the offline prediction within %s (%d reads): %s",
			within, len(outcome.Attempts), lastProblem(outcome))
	}
	return last, nil
}

// lastProblem is what the last read saw wrong, on one line.
func lastProblem(c results.Convergence) string {
	if len(c.Attempts) == 0 {
		return c.Reason
	}
	a := c.Attempts[len(c.Attempts)-1]
	if a.Error != "" {
		return a.Error
	}
	return strings.Join(a.Mismatches, "; ")
}
