package istio

import (
	"fmt"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pkg/config/mesh"

	"istio-egress-conformance/harness/oneline"
)

// Where istiod (default revision) reads its mesh config.
const (
	MeshConfigMap = "istio"
	MeshConfigKey = "mesh"
)

// CheckOutboundPolicy refuses a pre-installed Istio whose mesh config sends
// unknown hosts nowhere (REGISTRY_ONLY): the seed's HTTPS check needs them
// passed through. meshYAML is the ConfigMap's mesh key, read with Istio's
// own defaults, so an absent policy is ALLOW_ANY as istiod sees it.
func CheckOutboundPolicy(meshYAML string) error {
	mc, err := mesh.ApplyMeshConfigDefaults(meshYAML)
	if err != nil {
		return fmt.Errorf("istio: the mesh config in %s/%s (key %s) does not parse: %s", Namespace, MeshConfigMap, MeshConfigKey, oneline.Of(err))
	}
	if mode := mc.GetOutboundTrafficPolicy().GetMode(); mode != meshconfig.MeshConfig_OutboundTrafficPolicy_ALLOW_ANY {
		return fmt.Errorf("istio: the installed istiod has outboundTrafficPolicy.mode %s (%s/%s): the seed's HTTPS passthrough needs ALLOW_ANY; use a cluster whose Istio allows unknown hosts, or one without Istio", mode, Namespace, MeshConfigMap)
	}
	return nil
}
