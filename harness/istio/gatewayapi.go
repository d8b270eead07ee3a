package istio

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// GatewayAPICRDs are the CRD files of the Gateway API release Istio pins
// (sigs.k8s.io/gateway-api in its go.mod), experimental channel: what
// istio.io's Gateway API egress tests install (tests/util/gateway-api.sh,
// install_gateway_api_crds), TLSRoute included. Each carries the
// gateway.networking.k8s.io/bundle-version annotation istiod needs before it
// watches TLSRoute (pkg/config/schema/gatewayapi/minimumversions.go). The
// folder's ValidatingAdmissionPolicy (_vap_) is no CRD and is left out.
func GatewayAPICRDs() ([]string, error) {
	dir, err := ModuleDir("sigs.k8s.io/gateway-api")
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "config", "crd", "experimental", "gateway.networking.k8s.io_*.yaml"))
	if err != nil {
		return nil, err
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.Contains(filepath.Base(f), "_vap_") })
	if len(files) == 0 {
		return nil, fmt.Errorf("no Gateway API CRDs in %q/config/crd/experimental: expected the sigs.k8s.io/gateway-api module's files (go mod download sigs.k8s.io/gateway-api)", dir)
	}
	return files, nil
}
