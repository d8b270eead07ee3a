package istio

import (
	"fmt"
	"os/exec"
	"strings"
)

// ModuleDir is where a module of this repository's build graph sits in the
// module cache (go list -m): the pinned istio.io/istio's charts and test data,
// the pinned sigs.k8s.io/gateway-api's CRDs.
func ModuleDir(module string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}
