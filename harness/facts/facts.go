// Package facts derives, once per scenario, what its objects say beyond the
// scenario file: its egress gateway, the hosts its checks reach, and the TLS
// its DestinationRules originate (SNI names and credentialNames), read by
// one walker of a DestinationRule's TLS settings. The apply step, the SDS
// checks and every tier share them.
package facts

import (
	"fmt"
	"net/url"
	"slices"

	networking "istio.io/api/networking/v1alpha3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios"
)

// Facts are one scenario's derived facts.
type Facts struct {
	// Gateway is the scenario's egress gateway; nil when it names none.
	Gateway *egressgateway.Gateway
	// CheckHosts are the host names the checks' URLs reach, each once.
	CheckHosts []string
	// OriginatedSNIs are the SNI names its DestinationRules originate TLS
	// with, each once; Istio's own mTLS (ISTIO_MUTUAL) names no external host.
	OriginatedSNIs []string
	// CredentialNames are its DestinationRules' credentialNames, each once:
	// the Secrets a proxy's clusters get over SDS.
	CredentialNames []string
	// EndpointHosts are the Services whose endpoints every tier knows: the
	// egress gateway's (the tiers without a cluster give it the EndpointSlice
	// its pod would have) and those the fixtures give endpoints themselves
	// (an EndpointSlice or Endpoints object). A cluster has more (a Service's
	// pods make its endpoints there), which no tier without one can predict.
	EndpointHosts []string
}

// Of derives the scenario's facts.
func Of(s scenarios.Scenario) Facts {
	var f Facts
	if g, ok := egressgateway.Of(s); ok {
		f.Gateway = &g
		f.EndpointHosts = append(f.EndpointHosts, g.Host())
	}
	for _, c := range s.Checks {
		if u, err := url.Parse(c.URL); err == nil {
			f.CheckHosts = addOnce(f.CheckHosts, u.Hostname())
		}
	}
	for _, o := range s.Objects() {
		if host := endpointsOf(o); host != "" {
			f.EndpointHosts = addOnce(f.EndpointHosts, host)
		}
		if o.Istio == nil {
			continue
		}
		dr, ok := o.Istio.Spec.(*networking.DestinationRule)
		if !ok {
			continue
		}
		for _, t := range ClientTLS(dr) {
			if t.GetMode() != networking.ClientTLSSettings_ISTIO_MUTUAL {
				f.OriginatedSNIs = addOnce(f.OriginatedSNIs, t.GetSni())
			}
			f.CredentialNames = addOnce(f.CredentialNames, t.GetCredentialName())
		}
	}
	return f
}

// endpointsOf is the host of the Service a fixture object gives endpoints
// to: an EndpointSlice's (its kubernetes.io/service-name label), or an
// Endpoints object's (the Service of its name); "" for other objects.
func endpointsOf(o fixture.Object) string {
	name := ""
	switch o.Object.(type) {
	case *discoveryv1.EndpointSlice:
		name = o.Object.GetLabels()[discoveryv1.LabelServiceName]
	case *corev1.Endpoints:
		name = o.Object.GetName()
	}
	if name == "" {
		return ""
	}
	return fmt.Sprintf("%s.%s.svc.cluster.local", name, o.Object.GetNamespace())
}

// Hosts are the host names the scenarios' checks reach and the SNI names
// their DestinationRules originate TLS with, each once: what the hermetic
// server's certificate and the client pods' hostAliases cover.
func Hosts(ss ...scenarios.Scenario) []string {
	var hosts []string
	for _, s := range ss {
		f := Of(s)
		for _, h := range append(f.CheckHosts, f.OriginatedSNIs...) {
			hosts = addOnce(hosts, h)
		}
	}
	return hosts
}

// ClientTLS are a DestinationRule's TLS settings wherever Istio reads them:
// for all ports, per port, and per subset (all of its ports and per port),
// nil ones left out (Istio networking/v1alpha3 destination_rule.proto:
// TrafficPolicy.tls, port_level_settings[].tls, Subset.traffic_policy).
func ClientTLS(dr *networking.DestinationRule) []*networking.ClientTLSSettings {
	policies := []*networking.TrafficPolicy{dr.GetTrafficPolicy()}
	for _, ss := range dr.GetSubsets() {
		policies = append(policies, ss.GetTrafficPolicy())
	}
	var out []*networking.ClientTLSSettings
	for _, p := range policies {
		tls := []*networking.ClientTLSSettings{p.GetTls()}
		for _, pl := range p.GetPortLevelSettings() {
			tls = append(tls, pl.GetTls())
		}
		for _, t := range tls {
			if t != nil {
				out = append(out, t)
			}
		}
	}
	return out
}

func addOnce(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
