// Package controlplane runs the live tier's control plane without a container
// runtime: Istio's charts from the pinned istio.io/istio module rendered with
// the live tier's values, the real istiod (pilot-discovery built from the same
// module) against a real API server, its injection webhook, and an xDS client
// that connects as the injected client pod's sidecar.
package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/istio"
)

// Charts of the pinned istio.io/istio module, relative to its directory.
const (
	baseChart   = "manifests/charts/base"
	istiodChart = "manifests/charts/istio-control/istio-discovery"
)

// TemplateCommands render the base and istiod charts as the live tier installs
// them: same release names, namespace and values (istio.IstiodValues).
func TemplateCommands(helm, istioModuleDir string) [][]string {
	common := []string{"--namespace", istio.Namespace}
	base := append([]string{helm, "template", istio.BaseRelease, filepath.Join(istioModuleDir, baseChart)}, common...)
	istiod := append([]string{helm, "template", istio.Istiod, filepath.Join(istioModuleDir, istiodChart)}, common...)
	return [][]string{base, append(istiod, istio.IstiodValues()...)}
}

// Render runs the template commands and decodes every object they print.
func Render(ctx context.Context, runner command.Runner, cmds [][]string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, c := range cmds {
		out, err := runner.Run(ctx, c...)
		if err != nil {
			return nil, fmt.Errorf("render istio charts: %v", err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
		for {
			var u unstructured.Unstructured
			err := dec.Decode(&u.Object)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("render istio charts: %s printed a document that is not YAML: %v", c[2], err)
			}
			if len(u.Object) > 0 {
				objs = append(objs, &u)
			}
		}
	}
	return objs, nil
}
