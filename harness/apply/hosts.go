package apply

import (
	"net/url"
	"slices"

	networking "istio.io/api/networking/v1alpha3"

	"istio-egress-conformance/scenarios"
)

// Hosts are the host names the scenarios' checks reach and the SNI names
// their DestinationRules originate TLS with, each once: what the hermetic
// server's certificate and the client pods' hostAliases cover.
func Hosts(ss ...scenarios.Scenario) []string {
	var hosts []string
	add := func(h string) {
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	for _, s := range ss {
		for _, c := range s.Checks {
			if u, err := url.Parse(c.URL); err == nil {
				add(u.Hostname())
			}
		}
		for _, o := range s.Objects() {
			if o.Istio == nil {
				continue
			}
			if dr, ok := o.Istio.Spec.(*networking.DestinationRule); ok {
				add(dr.GetTrafficPolicy().GetTls().GetSni())
			}
		}
	}
	return hosts
}
