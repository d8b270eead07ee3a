package live

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"

	"istio-egress-conformance/harness/converge"
	"istio-egress-conformance/harness/workload"
)

// A changed Corefile reaches CoreDNS late: the kubelet copies an updated
// ConfigMap into the pods on its periodic sync (KubeletConfiguration
// syncFrequency, 1m by default), the reload plugin checks every 30s with up to
// 15s of jitter (CoreDNS plugin/reload/setup.go, defaultInterval and
// defaultJitter), `cache 30` answers from before (CoreDNS plugin.cfg lists
// cache before hosts, so cache runs first), and a sidecar's STRICT_DNS cluster
// that failed a lookup tries again only after dnsRefreshRate (Istio's default
// 60s: pkg/config/mesh/mesh.go, DefaultMeshConfig). Instead, the run rolls out new CoreDNS
// pods, which read the Corefile at start, and waits until the hosts resolve
// to the hermetic server before any client starts.
const (
	// dnsRolloutTimeout bounds one CoreDNS rollout: two replicas replaced one
	// at a time, each ready after its readiness probe (kubeadm: every 10s).
	dnsRolloutTimeout = 3 * time.Minute
	// dnsResolveTimeout bounds the wait for the override's answers.
	dnsResolveTimeout = 2 * time.Minute
	// dnsConsecutive answers in a row, since each lookup may reach another replica.
	dnsConsecutive = 3
)

// dnsTimings are the bounds of the DNS waits; tests shorten them.
type dnsTimings struct {
	rollout, resolve, interval time.Duration
}

var defaultDNSTimings = dnsTimings{rollout: dnsRolloutTimeout, resolve: dnsResolveTimeout, interval: 2 * time.Second}

// resolver says what a host resolves to inside the cluster.
type resolver func(ctx context.Context, host string) (string, error)

// restartCoreDNS sets the run's annotation on CoreDNS's pod template (or, to
// restore, removes it), then waits for the rollout. Removing an annotation
// that names another run, or none, changes nothing.
func restartCoreDNS(ctx context.Context, res *resources.Resources, runID string, restore bool, timings dnsTimings) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var d appsv1.Deployment
		if err := res.Get(ctx, workload.CoreDNSDeployment, workload.CoreDNSNamespace, &d); err != nil {
			return err
		}
		annotations := d.Spec.Template.Annotations
		switch {
		case !restore:
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[workload.RestartAnnotation] = runID
		case annotations[workload.RestartAnnotation] != runID:
			return nil
		default:
			delete(annotations, workload.RestartAnnotation)
		}
		d.Spec.Template.Annotations = annotations
		return res.Update(ctx, &d)
	})
	if err != nil {
		return fmt.Errorf("coredns restart: Deployment %s/%s: %v", workload.CoreDNSNamespace, workload.CoreDNSDeployment, err)
	}
	return awaitRollout(ctx, res, workload.CoreDNSNamespace, workload.CoreDNSDeployment, timings)
}

// awaitRollout waits until the Deployment's rollout is done.
func awaitRollout(ctx context.Context, res *resources.Resources, namespace, name string, timings dnsTimings) error {
	var status, readErr string
	err := wait.For(func(ctx context.Context) (bool, error) {
		var d appsv1.Deployment
		if err := res.Get(ctx, name, namespace, &d); err != nil {
			readErr = err.Error()
			return false, nil // a transient API error: the deadline decides
		}
		var done bool
		status, done = rolloutStatus(&d)
		return done, nil
	}, wait.WithTimeout(timings.rollout), wait.WithInterval(timings.interval), wait.WithImmediate(), wait.WithContext(ctx))
	if err != nil {
		if status == "" { // never read: the read error is the news
			status = readErr
		}
		return fmt.Errorf("rollout of Deployment %s/%s not done within %s: %v (last: %s)", namespace, name, timings.rollout, err, status)
	}
	return nil
}

// rolloutStatus is `kubectl rollout status`'s verdict on a Deployment
// (k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go,
// DeploymentStatusViewer.Status; importing it drags in kubectl's describe
// package and two more modules): the controller has seen the latest spec,
// every replica runs it, no old one is left, and all are available.
func rolloutStatus(d *appsv1.Deployment) (string, bool) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case d.Generation > st.ObservedGeneration:
		return "waiting for the deployment controller to see the new spec", false
	case st.UpdatedReplicas < want:
		return fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want), false
	case st.Replicas > st.UpdatedReplicas:
		return fmt.Sprintf("%d old replicas pending termination", st.Replicas-st.UpdatedReplicas), false
	case st.AvailableReplicas < st.UpdatedReplicas:
		return fmt.Sprintf("%d of %d updated replicas available", st.AvailableReplicas, st.UpdatedReplicas), false
	}
	return "rolled out", true
}

// awaitResolution waits until every host resolves to ip dnsConsecutive times in a row.
func awaitResolution(ctx context.Context, resolve resolver, hosts []string, ip string, timings dnsTimings) error {
	outcome := converge.Await(ctx, converge.Options{Consecutive: dnsConsecutive, Deadline: timings.resolve, Interval: timings.interval},
		func(ctx context.Context) (string, []string, error) {
			var seen, wrong []string
			for _, h := range hosts {
				got, err := resolve(ctx, h)
				if err != nil {
					return strings.Join(seen, ", "), nil, err
				}
				seen = append(seen, h+"="+got)
				if got != ip {
					wrong = append(wrong, fmt.Sprintf("%s: expected %s, resolved %q", h, ip, got))
				}
			}
			return strings.Join(seen, ", "), wrong, nil
		})
	if !outcome.Passed {
		return fmt.Errorf("dns override: %s", strings.ReplaceAll(outcome.String(), "\n", ";"))
	}
	return nil
}

// execResolver asks the cluster DNS from the hermetic server's pod, which has
// no sidecar and resolves like any pod (dnsPolicy ClusterFirst), with getent.
func execResolver(res *resources.Resources, namespace string) resolver {
	return func(ctx context.Context, host string) (string, error) {
		var stdout, stderr bytes.Buffer
		argv := []string{"getent", "hosts", host}
		err := res.ExecInPod(ctx, namespace, workload.ServerPodName, workload.ServerContainer, argv, &stdout, &stderr)
		if err != nil && stdout.Len() == 0 {
			// getent exits 2 for a name it cannot resolve: not yet overridden.
			return "", fmt.Errorf("%s in %s/%s: %v %s", strings.Join(argv, " "), namespace, workload.ServerPodName, err, strings.TrimSpace(stderr.String()))
		}
		return parseGetent(stdout.String()), nil
	}
}

// parseGetent returns the first address `getent hosts` printed ("10.244.0.7  www.tetrate.io").
func parseGetent(out string) string {
	fields := strings.Fields(out)
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}
