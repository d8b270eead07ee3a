package istio

import (
	"fmt"
	"os/exec"
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
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m sigs.k8s.io/gateway-api: %v", err)
	}
	dir := strings.TrimSpace(string(out))
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
