package controlplane

import (
	"fmt"
	"slices"
	"strings"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/types/known/structpb"
	"istio.io/istio/pilot/pkg/simulation"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pkg/adsc"
	istiolog "istio.io/istio/pkg/log"
	corev1 "k8s.io/api/core/v1"

	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/workload"
)

// SidecarConfig is how the injected pod's sidecar introduces itself to istiod,
// built from the pod as pilot-agent builds it from its environment: the node
// id sidecar~<pod IP>~<pod>.<namespace>~<namespace>.svc.cluster.local, and
// metadata from the injected container's ISTIO_META_* variables, the pod's
// labels, namespace and service account.
func SidecarConfig(pod *corev1.Pod, istioVersion string) (adsc.Config, error) {
	if pod.Status.PodIP == "" {
		return adsc.Config{}, fmt.Errorf("pod %s/%s has no IP: istiod finds a sidecar's pod by it", pod.Namespace, pod.Name)
	}
	containers := append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...)
	i := slices.IndexFunc(containers, func(c corev1.Container) bool { return c.Name == workload.SidecarContainer })
	if i < 0 {
		return adsc.Config{}, fmt.Errorf("pod %s/%s has no %s container: it was not injected", pod.Namespace, pod.Name, workload.SidecarContainer)
	}
	meta := map[string]any{
		"NAMESPACE":       pod.Namespace,
		"NAME":            pod.Name,
		"SERVICE_ACCOUNT": pod.Spec.ServiceAccountName,
		"ISTIO_VERSION":   istioVersion,
	}
	labels := map[string]any{}
	for k, v := range pod.Labels {
		labels[k] = v
	}
	meta["LABELS"] = labels
	for _, e := range containers[i].Env {
		if name, ok := strings.CutPrefix(e.Name, "ISTIO_META_"); ok && e.ValueFrom == nil {
			meta[name] = e.Value
		}
	}
	s, err := structpb.NewStruct(meta)
	if err != nil {
		return adsc.Config{}, fmt.Errorf("sidecar metadata of %s/%s: %v", pod.Namespace, pod.Name, err)
	}
	return adsc.Config{ClientName: "egress-conformance " + pod.Namespace + "/" + pod.Name, Namespace: pod.Namespace,
		Workload: pod.Name, IP: pod.Status.PodIP, Meta: s}, nil
}

// Connect opens an ADS stream to istiod's plaintext port as the sidecar and
// asks for clusters and listeners (adsc follows with routes and endpoints).
// adsc.ConfigInitialRequests would also ask for the "api" generator, which
// istiod refuses to an unauthenticated client.
func Connect(grpcAddr string, cfg adsc.Config) (*adsc.ADSC, error) {
	// adsc logs every response at info: keep its warnings only.
	if scope := istiolog.FindScope("adsc"); scope != nil {
		scope.SetOutputLevel(istiolog.WarnLevel)
	}
	c, err := adsc.New(grpcAddr, &adsc.ADSConfig{Config: cfg, InitialDiscoveryRequests: []*discovery.DiscoveryRequest{
		{TypeUrl: v3.ClusterType}, {TypeUrl: v3.ListenerType},
	}})
	if err != nil {
		return nil, fmt.Errorf("xds client for %s: %v", grpcAddr, err)
	}
	if err := c.Run(); err != nil {
		c.Close()
		return nil, fmt.Errorf("xds stream to %s: %v", grpcAddr, err)
	}
	return c, nil
}

// snapshot is the sidecar's current config as Istio's simulation reads it.
func snapshot(c *adsc.ADSC, endpointHosts []string) *simulation.Simulation {
	return judge.WithEndpoints(&simulation.Simulation{
		Listeners: sortedValues(c.GetHTTPListeners(), c.GetTCPListeners()),
		Clusters:  sortedValues(c.GetClusters(), c.GetEdsClusters()),
		Routes:    sortedValues(c.GetRoutes()),
	}, c.GetEndpoints(), endpointHosts)
}

type named interface {
	*listener.Listener | *cluster.Cluster | *route.RouteConfiguration
	GetName() string
}

func sortedValues[T named](maps ...map[string]T) []T {
	var out []T
	for _, m := range maps {
		for _, v := range m {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

// hasClusters reports whether the config holds a cluster for every host
// (outbound|<port>||<host>, any port), and which are missing.
func hasClusters(sim *simulation.Simulation, hosts []string) (bool, []string) {
	var missing []string
	for _, h := range hosts {
		found := slices.ContainsFunc(sim.Clusters, func(c *cluster.Cluster) bool {
			return strings.HasPrefix(c.GetName(), "outbound|") && strings.HasSuffix(c.GetName(), "||"+h)
		})
		if !found {
			missing = append(missing, h)
		}
	}
	return len(missing) == 0, missing
}

// quietPeriod is how long no push may come before the config is taken as
// settled: every fixture is applied before the wait starts, and istiod pushes
// each change within its debounce (PILOT_DEBOUNCE_AFTER: 100ms by default,
// pilot/pkg/features/tuning.go; 10ms here, istiodEnv), so objects applied
// together arrive in one push or in pushes closer than this.
const quietPeriod = 300 * time.Millisecond
