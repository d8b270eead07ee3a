package istio

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckOutboundPolicy(t *testing.T) {
	for name, tc := range map[string]struct{ mesh, err string }{
		"empty: Istio's default":   {"", ""},
		"explicit ALLOW_ANY":       {"outboundTrafficPolicy:\n  mode: ALLOW_ANY\n", ""},
		"other settings only":      {"accessLogFile: /dev/stdout\nenableTracing: false\n", ""},
		"REGISTRY_ONLY is refused": {"outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n", "istio: the installed istiod has outboundTrafficPolicy.mode REGISTRY_ONLY (istio-system/istio): the seed's HTTPS passthrough needs ALLOW_ANY; use a cluster whose Istio allows unknown hosts, or one without Istio"},
		"unknown mode":             {"outboundTrafficPolicy:\n  mode: SOMETIMES\n", "istio: the mesh config in istio-system/istio (key mesh) does not parse: "},
		"not YAML":                 {"outboundTrafficPolicy: [\n", "istio: the mesh config in istio-system/istio (key mesh) does not parse: "},
	} {
		t.Run(name, func(t *testing.T) {
			err := CheckOutboundPolicy(tc.mesh)
			if tc.err == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.err)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}
