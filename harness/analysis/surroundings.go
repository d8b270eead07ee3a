package analysis

import (
	"bytes"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// proxyImage stands for the injected istio-proxy container's image: the
// injection analyzer reads only that the container is there with a concrete
// image (analyzers/injection/injection.go; "auto" is the chart's
// placeholder, which analyzers/injection/image-auto.go reports).
const proxyImage = "docker.io/istio/proxyv2:harness"

// surroundings are the objects the harness makes around the fixtures, as
// YAML: the client namespace labelled for injection and the injected client
// pod; the egress gateway's Service and pod when the scenario names one.
// Those the fixtures hold themselves are theirs.
func surroundings(s scenarios.Scenario) ([]byte, error) {
	has := map[string]bool{}
	for _, o := range s.Objects() {
		has[o.String()] = true
	}
	ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: s.Client.Namespace, Labels: map[string]string{"istio-injection": "enabled"}}}
	objs := []any{}
	if !has["Namespace "+s.Client.Namespace] {
		objs = append(objs, ns)
	}
	objs = append(objs, pod(s.Client.Namespace, "egress-client", workload.ClientLabels(s.Client.Labels), s.Client.ServiceAccountName()))
	if g, ok := egressgateway.Of(s); ok {
		svc := g.Service()
		if !has["Service "+svc.Namespace+"/"+svc.Name] {
			objs = append(objs, svc)
		}
		objs = append(objs, pod(g.Namespace, g.ServiceName()+"-harness", g.PodLabels(), g.ServiceAccount()))
	}
	var out bytes.Buffer
	for _, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("istio analyzers: writing the harness's objects: %v", err)
		}
		out.WriteString("---\n")
		out.Write(data)
	}
	return out.Bytes(), nil
}

// pod is an injected pod: its labels, service account and istio-proxy.
func pod(namespace, name string, labels map[string]string, serviceAccount string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec: corev1.PodSpec{
			ServiceAccountName: serviceAccount,
			Containers:         []corev1.Container{{Name: "istio-proxy", Image: proxyImage}},
		},
	}
}
