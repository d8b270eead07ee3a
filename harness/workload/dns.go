package workload

import (
	"fmt"
	"net"
	"strings"
)

// CoreDNS is the cluster DNS config the override edits.
const (
	CoreDNSNamespace = "kube-system"
	CoreDNSConfigMap = "coredns"
	CorefileKey      = "Corefile"
	// OriginalCorefileAnnotation keeps the untouched Corefile on the ConfigMap
	// while the override is in place, so a crashed run can be restored by hand.
	OriginalCorefileAnnotation = "egress-conformance.io/original-corefile"
	// OverrideRunAnnotation names the run whose override is in place, so that
	// a sweep of that run restores it and a sweep of another run does not.
	OverrideRunAnnotation = "egress-conformance.io/override-run-id"
	// CoreDNSDeployment runs the cluster DNS (kubeadm, kind, k3s, minikube).
	CoreDNSDeployment = "coredns"
	// RestartAnnotation, on CoreDNS's pod template, names the run whose
	// override the pods were restarted for. Setting it rolls out pods that read
	// the overridden Corefile at start; removing it at restore rolls out pods
	// with the original one and leaves the Deployment as it was.
	RestartAnnotation = "egress-conformance.io/restarted-for-run"
	overrideMarker    = "# egress-conformance override"
)

// OverrideCorefile makes hosts resolve to ip in the cluster's main server
// block (".:53"), ahead of the forwarders, with CoreDNS's hosts plugin; other
// names fall through unchanged. It refuses a Corefile it cannot edit safely.
func OverrideCorefile(corefile, ip string, hosts []string) (string, error) {
	if net.ParseIP(ip) == nil {
		return "", fmt.Errorf("coredns override: %q is not an IP address", ip)
	}
	if len(hosts) == 0 {
		return "", fmt.Errorf("coredns override: no host names to override")
	}
	if strings.Contains(corefile, overrideMarker) {
		return "", fmt.Errorf("coredns override: the Corefile already has an egress-conformance override (another run, or one not restored: see the %s annotation)", OriginalCorefileAnnotation)
	}
	lines := strings.Split(corefile, "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) != ".:53 {" {
			continue
		}
		block := []string{
			"    " + overrideMarker,
			"    hosts {",
			"        " + ip + " " + strings.Join(hosts, " "),
			"        fallthrough",
			"    }",
		}
		out := append(append(append([]string{}, lines[:i+1]...), block...), lines[i+1:]...)
		return strings.Join(out, "\n"), nil
	}
	return "", fmt.Errorf(`coredns override: no ".:53 {" server block in the Corefile of %s/%s`, CoreDNSNamespace, CoreDNSConfigMap)
}
