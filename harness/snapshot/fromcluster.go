package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/oneline"
)

// ClusterKinds are the kinds read from a cluster: Istio's networking kinds
// a client's or an egress gateway's config comes from, and the Gateway API's
// the harness translates.
var ClusterKinds = []schema.GroupKind{
	{Group: "networking.istio.io", Kind: "ServiceEntry"}, {Group: "networking.istio.io", Kind: "VirtualService"},
	{Group: "networking.istio.io", Kind: "DestinationRule"}, {Group: "networking.istio.io", Kind: "Sidecar"},
	{Group: "networking.istio.io", Kind: "Gateway"},
	// fixture.GatewayAPIKinds, the Gateway API kinds the harness translates.
	{Group: fixture.GatewayAPIGroup, Kind: "Gateway"}, {Group: fixture.GatewayAPIGroup, Kind: "HTTPRoute"},
	{Group: fixture.GatewayAPIGroup, Kind: "TLSRoute"}, {Group: fixture.GatewayAPIGroup, Kind: "ReferenceGrant"},
}

// FromCluster reads the ClusterKinds' objects that reach namespace, or
// configure the egress gateway in gatewayNamespace when it is set, from
// the cluster cfg points at, at the version it prefers, and returns them as
// one fixture file: sorted by kind, namespace and name, without what the
// API server adds (status, uid, resourceVersion, managedFields ...), so
// that reading an unchanged cluster writes the same bytes. A kind the
// cluster does not serve is left out; no Istio kind at all is an error.
func FromCluster(ctx context.Context, cfg *rest.Config, namespace, gatewayNamespace string) ([]byte, error) {
	where := fmt.Sprintf("reading the cluster at %s", cfg.Host)
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	var docs [][]byte
	istio := false
	for _, gk := range ClusterKinds {
		mapping, err := mapper.RESTMapping(gk)
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", where, gk, oneline.Of(err))
		}
		istio = istio || gk.Group == "networking.istio.io"
		list, err := dyn.Resource(mapping.Resource).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("%s: listing %s: %v", where, mapping.Resource.GroupResource(), oneline.Of(err))
		}
		objs := list.Items
		slices.SortFunc(objs, func(a, b unstructured.Unstructured) int {
			return strings.Compare(a.GetNamespace()+"/"+a.GetName(), b.GetNamespace()+"/"+b.GetName())
		})
		for _, o := range objs {
			doc, keep, err := visibleDocument(o, namespace, gatewayNamespace)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
			if keep {
				docs = append(docs, doc)
			}
		}
	}
	if !istio {
		return nil, fmt.Errorf("%s: it serves none of Istio's networking.istio.io kinds: expected a cluster with Istio installed", where)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: no Istio or Gateway API object reaches namespace %s", where, namespace)
	}
	head := fmt.Sprintf("# Read by cmd/snapshot --from-cluster: the Istio and Gateway API objects that reach namespace %s.\n", namespace)
	return append([]byte(head), bytes.Join(docs, []byte("---\n"))...), nil
}

// visibleDocument is the object as a fixture document, without what the
// API server adds, and whether it reaches the client's namespace or
// configures the egress gateway. Only what it keeps must pass the fixture
// loader: another team's object, whatever it holds, does not stop the read.
func visibleDocument(o unstructured.Unstructured, namespace, gatewayNamespace string) ([]byte, bool, error) {
	if !reaches(&o, namespace) && (gatewayNamespace == "" || !configuresGateway(&o, gatewayNamespace)) {
		return nil, false, nil
	}
	clean := unstructured.Unstructured{Object: map[string]any{"apiVersion": o.GetAPIVersion(), "kind": o.GetKind()}}
	if spec, ok := o.Object["spec"]; ok {
		clean.Object["spec"] = spec
	}
	clean.SetName(o.GetName())
	clean.SetNamespace(o.GetNamespace())
	clean.SetLabels(o.GetLabels())
	annotations := o.GetAnnotations()
	delete(annotations, "kubectl.kubernetes.io/last-applied-configuration")
	clean.SetAnnotations(annotations)
	// Istio breaks ties between conflicting objects by their age
	// (pilot/pkg/model/config.go, sortConfigByCreationTime).
	clean.SetCreationTimestamp(o.GetCreationTimestamp())
	doc, err := yaml.Marshal(clean.Object)
	if err == nil {
		_, err = fixture.Parse(fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName()), doc)
	}
	if err != nil {
		return nil, false, err
	}
	return doc, true, nil
}
