package controlplane

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pkg/adsc"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// injectedClient reads the client pod the live tier created back from the API
// server: istiod's webhook must have injected it, as the live tier's own
// detection (workload.HasSidecar) sees it. Without a kubelet it has no IP, so
// it gets one through a status update, as a kubelet would give it.
func injectedClient(ctx context.Context, res *resources.Resources, namespace, ip string) (*corev1.Pod, error) {
	var pod corev1.Pod
	if err := res.Get(ctx, workload.ClientPodName, namespace, &pod); err != nil {
		return nil, fmt.Errorf("client pod %s/%s: %v", namespace, workload.ClientPodName, err)
	}
	if !workload.HasSidecar(&pod) {
		return nil, fmt.Errorf("client pod %s/%s has no %s container: istiod's webhook did not inject it", namespace, pod.Name, workload.SidecarContainer)
	}
	pod.Status.PodIP, pod.Status.PodIPs, pod.Status.Phase = ip, []corev1.PodIP{{IP: ip}}, corev1.PodRunning
	if err := res.UpdateStatus(ctx, &pod); err != nil {
		return nil, fmt.Errorf("client pod %s/%s: give it IP %s: %v", namespace, pod.Name, ip, err)
	}
	return &pod, nil
}

// AwaitConfig waits until the sidecar's clusters hold every host (present) or
// none of them (!present); with present, then until istiod has pushed nothing
// for quietPeriod (the rest of the fixtures may come in a later push), and
// returns that config. It fails, naming the hosts, when
// istiod dies, the stream closes or within passes.
func AwaitConfig(ctx context.Context, c *adsc.ADSC, d *Istiod, hosts []string, present bool, within time.Duration) (*simulation.Simulation, error) {
	w := sidecarWait(c, nil) // its hosts' clusters, not their endpoints
	w.quiet = present
	w.ready = func(sim *simulation.Simulation) (bool, string) {
		has, missing := hasClusters(sim, hosts)
		if !present {
			if len(missing) == len(hosts) {
				return true, ""
			}
			return false, fmt.Sprintf("clusters for %v still in the sidecar's config", slices.DeleteFunc(slices.Clone(hosts), func(h string) bool { return slices.Contains(missing, h) }))
		}
		if !has {
			return false, fmt.Sprintf("no cluster for %v in the sidecar's config", missing)
		}
		return routesArrived(sim)
	}
	sim, err := awaitXDS(ctx, d, w, within)
	if !present {
		return nil, err
	}
	return sim, err
}

// awaitPredicted waits until the sidecar's config predicts, for every check,
// what the offline translation of the same scenario predicts (want: its
// sidecar hop), and istiod is quiet: the config then holds the scenario,
// whatever hosts the scenario leaves in the client's scope (a Sidecar may
// leave its own ServiceEntry out); its EDS clusters carry the endpoints of
// endpointHosts (facts.EndpointHosts). Without an offline prediction it waits
// for the hosts' clusters (AwaitConfig). Past within it returns the config
// as it is: the checks' verdicts name what still differs.
func awaitPredicted(ctx context.Context, c *adsc.ADSC, d *Istiod, checks []scenarios.Check, endpointHosts []string, want []results.Prediction, hosts []string, within time.Duration) (*simulation.Simulation, error) {
	if want == nil {
		return AwaitConfig(ctx, c, d, hosts, true, within)
	}
	w := sidecarWait(c, endpointHosts)
	w.quiet, w.settle = true, true
	w.ready = func(sim *simulation.Simulation) (bool, string) {
		if ok, lacks := routesArrived(sim); !ok {
			return false, lacks
		}
		got, err := judge.FromSimulation(sim, checks)
		if err != nil {
			return false, err.Error()
		}
		for k, c := range checks {
			hop := want[k]
			hop.Gateway = nil // the sidecar's own config: the gateway hop is another proxy's
			if diff := results.Disagreements("served", got[k], "offline", hop); len(diff) > 0 {
				return false, fmt.Sprintf("check %s: %s", c.Name, strings.Join(diff, "; "))
			}
		}
		return true, ""
	}
	return awaitXDS(ctx, d, w, within)
}

// sidecarWait is a wait on the sidecar's state-of-the-world stream: its
// snapshot (with the endpoints of endpointHosts) and its pushes; the caller
// says what it waits for.
func sidecarWait(c *adsc.ADSC, endpointHosts []string) xdsWait {
	return xdsWait{snapshot: func() *simulation.Simulation { return snapshot(c, endpointHosts) }, pushed: func() (bool, error) { return drained(c.Updates) }}
}

// routesArrived says whether the routes the sidecar's listeners name have
// come with them (missingPortRoutes), and when not, which are missing.
func routesArrived(sim *simulation.Simulation) (bool, string) {
	if routes := missingPortRoutes(sim); len(routes) > 0 {
		return false, fmt.Sprintf("the routes %v its listeners name are not in the sidecar's config", routes)
	}
	return true, ""
}

// xdsWait is one wait for what istiod serves a proxy, over either xDS
// transport: the sidecar's state-of-the-world stream (AwaitConfig) or the
// gateway's delta one (gatewayConfig).
type xdsWait struct {
	// snapshot is the proxy's config as received so far.
	snapshot func() *simulation.Simulation
	// pushed says whether istiod pushed since the last call; an error when
	// the stream closed.
	pushed func() (bool, error)
	// ready says whether the config holds what is waited for and, when not,
	// what it lacks.
	ready func(*simulation.Simulation) (bool, string)
	// quiet asks for quietPeriod without a push once ready: the rest of the
	// fixtures may come in a later push.
	quiet bool
	// settle takes the config as it is once within passes, instead of an
	// error: what it lacks is for the caller to judge.
	settle bool
}

// awaitXDS polls the wait until it is ready (and quiet): its config then. It
// fails with one line when istiod dies, the stream closes, the context ends
// or within passes, naming what the config still lacks.
func awaitXDS(ctx context.Context, d *Istiod, w xdsWait, within time.Duration) (*simulation.Simulation, error) {
	deadline := time.After(within)
	var readySince time.Time
	for {
		if err := d.Err(); err != nil {
			return nil, err
		}
		pushed, err := w.pushed()
		if err != nil {
			return nil, err
		}
		ready, lacks := w.ready(w.snapshot())
		switch {
		case !ready || pushed:
			readySince = time.Time{}
		case readySince.IsZero():
			readySince = time.Now()
		}
		if ready && (!w.quiet || !readySince.IsZero() && time.Since(readySince) >= quietPeriod) {
			return w.snapshot(), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline:
			if w.settle {
				return w.snapshot(), nil
			}
			if ready {
				lacks = fmt.Sprintf("istiod kept pushing for %s", within)
			}
			return nil, fmt.Errorf("config never converged within %s: %s", within, lacks)
		case <-time.After(20 * time.Millisecond): // a snapshot copies and sorts a few dozen resources
		}
	}
}

// drained empties the state-of-the-world client's update channel: whether a
// push came, or an error once the stream closed (adsc sends "" then:
// pkg/adsc/adsc.go, handleRecv).
func drained(updates <-chan string) (bool, error) {
	pushed := false
	for {
		select {
		case u, ok := <-updates:
			if !ok || u == "" {
				return pushed, fmt.Errorf("the xDS stream to istiod closed")
			}
			pushed = true
		default:
			return pushed, nil
		}
	}
}

// missingPortRoutes are the route configurations named after a port that a
// listener names and the client has not received yet. adsc asks for a
// sidecar listener's routes by its port ("80": pkg/adsc/adsc.go, handleLDS),
// after the listeners came: a config read in between has a listener whose
// routes are missing, which Istio's simulation cannot follow. Routes named
// otherwise (<host>:<port>) are never asked for by this client.
func missingPortRoutes(sim *simulation.Simulation) []string {
	have := map[string]bool{}
	for _, r := range sim.Routes {
		have[r.GetName()] = true
	}
	var missing []string
	for _, n := range rdsNamesAll(sim) {
		if _, err := strconv.Atoi(n); err == nil && !have[n] {
			missing = append(missing, n)
		}
	}
	return missing
}

// proxyImage is the injected sidecar's image, and whether it is a native
// sidecar (an init container that keeps running) rather than a container.
func proxyImage(pod *corev1.Pod) (string, bool) {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == workload.SidecarContainer {
			return c.Image, c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == workload.SidecarContainer {
			return c.Image, false
		}
	}
	return "", false
}
