package offline

import (
	"github.com/Masterminds/semver/v3"
	"istio.io/istio/pkg/config/schema/gatewayapi"
	"sigs.k8s.io/gateway-api/pkg/consts"
)

// Istio's CRD watcher ignores a version-gated Gateway API CRD (TLSRoute,
// TCPRoute, GRPCRoute, BackendTLSPolicy) unless its
// gateway.networking.k8s.io/bundle-version annotation meets
// gatewayapi.MinimumCRDVersions (pkg/kube/kclient/crdwatcher.go,
// minimumVersionFilter). Istio's fake registry, which the offline tier
// translates with, creates its CRDs without annotations
// (pilot/test/xds/fake.go -> clienttest.MakeCRD), so a TLSRoute would never
// be read. The CRDs the other tiers install, from the gateway-api module
// Istio pins, carry consts.BundleVersion (config/crd/experimental/*.yaml):
// each floor that release meets is met, and is lifted here, in this process
// only (istiod runs as its own process in the control-plane tier).
func init() {
	bundle := semver.MustParse(consts.BundleVersion)
	for crd, floor := range gatewayapi.MinimumCRDVersions {
		if !bundle.LessThan(floor) {
			delete(gatewayapi.MinimumCRDVersions, crd)
		}
	}
}
