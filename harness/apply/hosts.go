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
				for _, sni := range originatedSNIs(dr) {
					add(sni)
				}
			}
		}
	}
	return hosts
}

// originatedSNIs are the SNI names a DestinationRule originates TLS with, for
// all ports, per port, and per subset; Istio's own mTLS (ISTIO_MUTUAL) names
// no external host.
func originatedSNIs(dr *networking.DestinationRule) []string {
	policies := []*networking.TrafficPolicy{dr.GetTrafficPolicy()}
	for _, ss := range dr.GetSubsets() {
		policies = append(policies, ss.GetTrafficPolicy())
	}
	var out []string
	for _, p := range policies {
		tls := []*networking.ClientTLSSettings{p.GetTls()}
		for _, pl := range p.GetPortLevelSettings() {
			tls = append(tls, pl.GetTls())
		}
		for _, t := range tls {
			if t.GetSni() != "" && t.GetMode() != networking.ClientTLSSettings_ISTIO_MUTUAL {
				out = append(out, t.GetSni())
			}
		}
	}
	return out
}
