package workload

import (
	"net"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// HostAliases point every host at each of the hermetic server's IPs (one per
// IP family of a dual-stack pod), for the client pod's spec.hostAliases. The
// kubelet writes them into the one /etc/hosts it bind-mounts into every
// container of the pod, init containers and the native istio-proxy sidecar
// included, before the container starts (kubernetes pkg/kubelet/kubelet_pods.go:
// makeMounts, makeHostsMount, hostsEntriesFromHostAliases), and hostAliases
// cannot change on a running pod (validation.go updatablePodSpecFields): no
// cluster-wide change and no propagation delay. Both readers of the check
// hosts look there first:
//   - curl (musl libc reads /etc/hosts before DNS);
//   - the sidecar's STRICT_DNS cluster: Istio gives every DNS cluster Envoy's
//     c-ares resolver without lookup options (pilot/pkg/networking/core/cluster_builder.go,
//     buildCluster), Envoy never sets ARES_OPT_LOOKUPS (source/extensions/network/dns_resolver/cares/dns_impl.cc,
//     defaultAresOptions), and c-ares then reads the hosts file first
//     (c-ares ares_init.c: default lookups "fb"; Envoy issue #39623 shows
//     STRICT_DNS endpoints resolved from /etc/hosts).
//
// The sidecar resolves only the families its dns_lookup_family asks for, so
// an IPv6-only pod needs the server's IPv6 address: every IP is listed. IP
// literals need no resolving and names are lowercased: the API server takes
// only DNS-1123 subdomains as hostnames.
func HostAliases(ips, hosts []string) []corev1.HostAlias {
	var names []string
	for _, h := range hosts {
		h = strings.ToLower(strings.Trim(h, "[]"))
		if net.ParseIP(h) == nil && !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	if len(names) == 0 {
		return nil
	}
	aliases := make([]corev1.HostAlias, 0, len(ips))
	for _, ip := range ips {
		aliases = append(aliases, corev1.HostAlias{IP: ip, Hostnames: slices.Clone(names)})
	}
	return aliases
}

// PodIPs are the pod's addresses, one per IP family (status.podIPs, or
// status.podIP on an API server that fills in only that).
func PodIPs(pod *corev1.Pod) []string {
	var ips []string
	for _, ip := range pod.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	if len(ips) == 0 && pod.Status.PodIP != "" {
		ips = append(ips, pod.Status.PodIP)
	}
	return ips
}
