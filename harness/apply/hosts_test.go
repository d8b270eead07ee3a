package apply

import (
	"testing"

	"github.com/stretchr/testify/assert"
	networking "istio.io/api/networking/v1alpha3"
)

// TestOriginatedSNIsCoverPortsAndSubsets: the hermetic server's certificate
// and the client's hostAliases need every SNI a DestinationRule originates
// TLS with, for all ports, per port and per subset; Istio's own mTLS (to an
// egress gateway) names no external host.
func TestOriginatedSNIsCoverPortsAndSubsets(t *testing.T) {
	tls := func(mode networking.ClientTLSSettings_TLSmode, sni string) *networking.ClientTLSSettings {
		return &networking.ClientTLSSettings{Mode: mode, Sni: sni}
	}
	dr := &networking.DestinationRule{
		TrafficPolicy: &networking.TrafficPolicy{
			Tls:               tls(networking.ClientTLSSettings_SIMPLE, "all.example.com"),
			PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{Tls: tls(networking.ClientTLSSettings_MUTUAL, "port.example.com")}},
		},
		Subsets: []*networking.Subset{{Name: "a", TrafficPolicy: &networking.TrafficPolicy{
			PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{
				{Tls: tls(networking.ClientTLSSettings_ISTIO_MUTUAL, "gateway-sni.example.com")},
				{Tls: tls(networking.ClientTLSSettings_SIMPLE, "subset.example.com")},
			}}}},
	}
	assert.Equal(t, []string{"all.example.com", "port.example.com", "subset.example.com"}, originatedSNIs(dr))
}
