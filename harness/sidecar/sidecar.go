// Package sidecar judges the live tier's client sidecar by its own Envoy
// config: read through pilot-agent, predicted with Istio's simulation and the
// same code as the other tiers, and compared with the offline prediction
// before a scenario's checks start. It links Istio's translation, so the live
// flow (harness/live) gets it as a function and its own tests stay small.
package sidecar

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"istio.io/istio/pilot/pkg/simulation"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"istio-egress-conformance/harness/converge"
	"istio-egress-conformance/harness/envoyadmin"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// View is one reading of the client sidecar's own Envoy.
type View struct {
	Sim *simulation.Simulation
	// Loads are each cluster's current endpoints, and Resolved their
	// addresses (for a DNS cluster, what the proxy resolved).
	Loads    map[string]*endpoint.ClusterLoadAssignment
	Resolved map[string][]string
	// Pending is what Envoy holds but does not use: warming clusters, rejected listener updates.
	Pending judge.Pending
	// CDSRejected is Envoy's count of rejected cluster updates, and
	// CDSRejections the reasons its log gives for them (harness/envoyadmin),
	// read when the count is not zero.
	CDSRejected   uint64
	CDSRejections []string
}

// Proxy is a pod whose istio-proxy container's Envoy is read: the client's
// sidecar, or an egress gateway's pod (both charts name the container
// istio-proxy: gateway templates/deployment.yaml, istio-discovery
// files/kube-gateway.yaml).
type Proxy struct {
	Namespace, Pod string
	// Since is when the scenario under test began, for a proxy that served
	// others before it (an egress gateway; each scenario has a client pod of
	// its own): only the rejected updates it logged from then count (and of
	// those, only the ones of the listeners and clusters the checks use).
	Since time.Time
}

// String is namespace/pod.
func (p Proxy) String() string { return p.Namespace + "/" + p.Pod }

// Reader reads one proxy's Envoy.
type Reader func(ctx context.Context, p Proxy) (View, error)

// Judge is the live tier's judgement of a scenario's client sidecar, and of
// its egress gateway's pod when it has one: the offline prediction, then
// Await with both read over exec. An error is only a prediction the offline
// tier could not make; the proxies' own failures are in the evidence.
//
// since is when the scenario's setup began: what the shared gateway rejected
// before it is another scenario's.
func Judge(ctx context.Context, res *resources.Resources, s scenarios.Scenario, serverIPs []string, within time.Duration, since time.Time) (verdict.SidecarEvidence, error) {
	want, err := offline.Predict(s)
	if err != nil {
		return verdict.SidecarEvidence{}, fmt.Errorf("offline prediction: %v", err)
	}
	var gw *Proxy
	if g := facts.Of(s).Gateway; g != nil {
		ns, pod, err := g.ReadyPod(ctx, res)
		if err != nil {
			return verdict.SidecarEvidence{Offline: want, Err: err}, nil
		}
		gw = &Proxy{Namespace: ns, Pod: pod, Since: since}
	}
	return Await(ctx, ExecReader(res), s, want, gw, serverIPs, within, time.Second), nil
}

// ExecReader reads the sidecar through pilot-agent in the istio-proxy
// container, as Istio's own test framework does (pkg/test/framework/components/echo/kube/sidecar.go:
// `pilot-agent request GET <path>` against Envoy's admin port).
func ExecReader(res *resources.Resources) Reader {
	return func(ctx context.Context, p Proxy) (View, error) {
		dump, err := pilotAgentGet(ctx, res, p, "config_dump")
		if err != nil {
			return View{}, err
		}
		parsed, err := judge.ParseConfigDump(dump)
		if err != nil {
			return View{}, err
		}
		sim, err := parsed.Simulation()
		if err != nil {
			return View{}, err
		}
		pending, err := parsed.Pending()
		if err != nil {
			return View{}, err
		}
		status, err := pilotAgentGet(ctx, res, p, "clusters?format=json")
		if err != nil {
			return View{}, err
		}
		// What each cluster's hosts are now: a DNS cluster's resolved
		// addresses, an EDS cluster's endpoints (not in the config dump).
		loads, err := judge.LoadsFromClusters(status)
		if err != nil {
			return View{}, err
		}
		view := View{Sim: sim, Loads: loads, Resolved: judge.AddressesOf(loads), Pending: pending}
		return view, readCDSRejections(ctx, res, p, &view)
	}
}

// readCDSRejections reads Envoy's count of rejected cluster updates and,
// when there are any, their reasons from the proxy's log (since p.Since).
// What it cannot read (no pods/log permission on a shared cluster, say)
// names no rejection, and fails no read of the proxy's config: the checks
// are judged by that config either way.
func readCDSRejections(ctx context.Context, res *resources.Resources, p Proxy, view *View) error {
	stats, err := pilotAgentGet(ctx, res, p, envoyadmin.StatsPath)
	if err != nil {
		return nil
	}
	if view.CDSRejected, err = envoyadmin.CDSRejected(stats); err != nil || view.CDSRejected == 0 {
		return err // garbage where a count should be is an error
	}
	if log, err := proxyLog(ctx, res, p); err == nil {
		view.CDSRejections = envoyadmin.CDSRejections(log)
	}
	return nil
}

// proxyLog is the istio-proxy container's log from p.Since (all of it when zero).
func proxyLog(ctx context.Context, res *resources.Resources, p Proxy) ([]byte, error) {
	client, err := kubernetes.NewForConfig(res.GetConfig())
	if err != nil {
		return nil, err
	}
	opts := &corev1.PodLogOptions{Container: workload.SidecarContainer}
	if !p.Since.IsZero() {
		opts.SinceTime = &metav1.Time{Time: p.Since}
	}
	log, err := client.CoreV1().Pods(p.Namespace).GetLogs(p.Pod, opts).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("the log of %s container %s: %v", p, workload.SidecarContainer, err)
	}
	return log, nil
}

// pilotAgentGet asks the proxy's Envoy admin endpoint for path. pilot-agent
// exits 0 even on a 404, so the caller's parser is what judges the answer.
func pilotAgentGet(ctx context.Context, res *resources.Resources, p Proxy, path string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	argv := []string{"pilot-agent", "request", "GET", path}
	if err := res.ExecInPod(ctx, p.Namespace, p.Pod, workload.SidecarContainer, argv, &stdout, &stderr); err != nil {
		return nil, fmt.Errorf("exec %s in %s container %s: %v (stderr: %q)", strings.Join(argv, " "), p, workload.SidecarContainer, err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// Await reads the client sidecar until its config predicts what the offline
// tier predicts (want) for every check, so that it holds the scenario's
// objects: a 504 from a 1 ms timeout comes with or without TLS origination,
// only the config tells them apart. With an egress gateway (gw), the gateway
// hop of each check is predicted from the gateway pod's own config, and must
// agree too. In hermetic mode (serverIPs set) every DNS cluster a check
// reaches must also have resolved to the hermetic server, or curl's answer
// would be about another host. It gives up after within, with Err naming
// what still differs. The checks' verdicts (verdict.Of) judge the last read.
func Await(ctx context.Context, read Reader, s scenarios.Scenario, want []results.Prediction, gw *Proxy, serverIPs []string, within, interval time.Duration) verdict.SidecarEvidence {
	ev := verdict.SidecarEvidence{Offline: want}
	client := Proxy{Namespace: s.Client.Namespace, Pod: workload.ClientPodName}
	f := facts.Of(s)
	var gatewayHost string
	if g := f.Gateway; g != nil {
		gatewayHost = g.Host()
	}
	outcome := converge.Await(ctx, converge.Options{Consecutive: 1, Deadline: within, Interval: interval}, func(ctx context.Context) (string, []string, error) {
		view, err := read(ctx, client)
		if err != nil {
			return "", nil, err
		}
		// The endpoints every tier knows, no others (facts.EndpointHosts): a
		// cluster has endpoints for any Service whose pods run.
		view.Sim = judge.WithEndpoints(view.Sim, view.Loads, f.EndpointHosts)
		got, err := judge.FromSimulation(view.Sim, s.Checks)
		if err != nil {
			return "", nil, fmt.Errorf("the sidecar's config: %v", err)
		}
		var gwView *View
		if gw != nil {
			v, err := read(ctx, *gw)
			if err != nil {
				return "", nil, fmt.Errorf("egress gateway %s: %v", gw, err)
			}
			if err := judge.GatewayHops(v.Sim, gatewayHost, s.Checks, got); err != nil {
				return "", nil, fmt.Errorf("egress gateway %s's config: %v", gw, err)
			}
			gwView = &v
		}
		ev.Sidecar, ev.Pending = got, pendingPerCheck(view, gwView, s, got, want, serverIPs)
		return fmt.Sprintf("%d listeners, %d clusters, %d route configs", len(view.Sim.Listeners), len(view.Sim.Clusters), len(view.Sim.Routes)), problemLines(s, got, want, ev.Pending), nil
	})
	if !outcome.Passed {
		ev.Err = fmt.Errorf("never agreed with the offline prediction within %s (%d reads): %s", within, len(outcome.Attempts), lastProblem(outcome))
	}
	return ev
}

// pendingPerCheck are, per check, how a DNS cluster of either proxy (the
// gateway's read from gw when the scenario has a gateway) misses the
// hermetic server, or what else keeps it from serving the check.
func pendingPerCheck(view View, gw *View, s scenarios.Scenario, got, want []results.Prediction, serverIPs []string) map[string][]string {
	out := map[string][]string{}
	for i, c := range s.Checks {
		out[c.Name] = pending(view, "the sidecar", false, got[i], want[i], serverIPs)
		if gw != nil && got[i].Gateway != nil && want[i].Gateway != nil {
			out[c.Name] = append(out[c.Name], pending(*gw, "the egress gateway", true, *got[i].Gateway, *want[i].Gateway, serverIPs)...)
		}
	}
	return out
}

// pending is what keeps one proxy from serving the check as predicted: a
// warming cluster, a rejected update, a DNS cluster not resolved to the
// hermetic server. On a shared proxy only the rejections of the listener the
// check uses count; on every proxy, only those of the cluster it uses.
func pending(view View, proxy string, shared bool, got, want results.Prediction, serverIPs []string) []string {
	var out []string
	if slices.Contains(view.Pending.Warming, want.Cluster) {
		out = append(out, fmt.Sprintf("cluster %s is still warming in %s: Envoy waits for its endpoints, a DNS answer or an SDS secret (a credentialName whose Secret is missing?)", want.Cluster, proxy))
	}
	if line := unresolved(view, proxy, got, serverIPs); line != "" {
		out = append(out, line)
	}
	named := slices.ContainsFunc(view.Pending.RejectedListeners, func(r judge.RejectedListener) bool { return r.Name != "" })
	for _, r := range view.Pending.RejectedListeners {
		if shared && r.Name != want.Listener || named && r.Name == "" { // another check's, or a duplicate of a named one
			continue
		}
		out = append(out, fmt.Sprintf("Envoy rejected %s (in %s)", r, proxy))
	}
	return append(out, rejectedClusters(view, proxy, want.Cluster)...)
}

// rejectedClusters are the rejected cluster updates that count against the
// check: those whose logged reason names its cluster ("Error
// adding/updating cluster(s) <name>: ...", cds_api_impl.cc). Envoy's count
// and its log cover the proxy's whole life, and other config in the mesh
// (another team's, exported everywhere) may be rejected too: a rejection
// the check's cluster is not in is not this check's. (Its effect on the
// check, a cluster that stays as it was, shows as a disagreement.)
func rejectedClusters(view View, proxy, cluster string) []string {
	var out []string
	for _, reason := range view.CDSRejections {
		if cluster != "" && strings.Contains(reason, cluster) {
			out = append(out, fmt.Sprintf("Envoy rejected a cluster update (in %s): %q", proxy, reason))
		}
	}
	return out
}

// unresolved says how the proxy's DNS cluster for the check misses the
// hermetic server; "" when it does not (or the run is not hermetic).
func unresolved(view View, proxy string, p results.Prediction, serverIPs []string) string {
	if len(serverIPs) == 0 || p.Cluster == "" || !judge.ResolvesByDNS(view.Sim, p.Cluster) {
		return ""
	}
	addrs := view.Resolved[p.Cluster]
	if len(addrs) == 0 {
		return fmt.Sprintf("%s has not resolved %s (cluster %s) yet", proxy, p.UpstreamHost, p.Cluster)
	}
	for _, a := range addrs {
		if !slices.Contains(serverIPs, a) {
			return fmt.Sprintf("%s resolved %s (cluster %s) to %s, not to the hermetic server's %s: its pod's hostAliases did not reach its Envoy",
				proxy, p.UpstreamHost, p.Cluster, strings.Join(addrs, ", "), strings.Join(serverIPs, ", "))
		}
	}
	return ""
}

// problemLines are what keeps the sidecar from agreeing with the offline
// prediction, as "check <name>: <problem>" in check order: the fields that
// differ, then what is pending.
func problemLines(s scenarios.Scenario, got, want []results.Prediction, pending map[string][]string) []string {
	var lines []string
	for i, c := range s.Checks {
		for _, p := range append(results.Disagreements("sidecar", got[i], "offline", want[i]), pending[c.Name]...) {
			lines = append(lines, fmt.Sprintf("check %s: %s", c.Name, p))
		}
	}
	return lines
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
