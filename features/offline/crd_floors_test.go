package offline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"istio.io/istio/pkg/config/schema/gatewayapi"
	"sigs.k8s.io/gateway-api/pkg/consts"

	_ "istio-egress-conformance/harness/offline" // its init lifts the floors
)

// TestPinnedGatewayAPIMeetsIstiosCRDFloors: the offline tier lifts the
// CRD-version floors of Istio's CRD watcher because the CRDs every other tier
// installs, of the pinned gateway-api release, meet them; a pin below one
// would leave that floor in place, and its kind's fixtures unread.
func TestPinnedGatewayAPIMeetsIstiosCRDFloors(t *testing.T) {
	assert.Empty(t, gatewayapi.MinimumCRDVersions, "every floor is met by gateway-api %s", consts.BundleVersion)
}
