package live

import (
	networking "istio.io/api/networking/v1alpha3"

	"istio-egress-conformance/harness/fixture"
)

// sniOf lists the SNI names DestinationRules originate TLS with: the hermetic
// server's certificate must cover them too.
func sniOf(objs []fixture.Object) []string {
	var out []string
	for _, o := range objs {
		if o.Istio == nil {
			continue
		}
		dr, ok := o.Istio.Spec.(*networking.DestinationRule)
		if !ok {
			continue
		}
		if sni := dr.GetTrafficPolicy().GetTls().GetSni(); sni != "" {
			out = append(out, sni)
		}
	}
	return out
}
