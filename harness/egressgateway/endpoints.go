package egressgateway

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// EndpointSlice is what the EndpointSlice controller would make of the
// gateway's Service with one ready pod at ip: each port mapped to its
// targetPort. Neither tier without a cluster runs that controller, nor the
// gateway's pods; the sidecar's route to the gateway is an EDS cluster whose
// endpoints come from it. No targetRef: Istio takes an endpoint without one
// as it is (pilot/pkg/serviceregistry/kube/controller/endpointslice.go,
// getPod: expectPod only for a Pod targetRef), and a DestinationRule subset
// without labels, as Istio's egress tasks write them, selects it.
func (g Gateway) EndpointSlice(ip string) *discoveryv1.EndpointSlice {
	svc := g.Service()
	es := &discoveryv1.EndpointSlice{
		TypeMeta:    metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta:  metav1.ObjectMeta{Name: svc.Name + "-conformance", Namespace: svc.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
	}
	for _, p := range svc.Spec.Ports {
		// A port without a targetPort (istiod's deployment controller leaves
		// it out) is defaulted to the port by the API server (k8s.io/kubernetes
		// pkg/apis/core/v1 defaults.go, SetDefaults_Service).
		target := p.TargetPort.IntVal
		if target == 0 {
			target = p.Port
		}
		es.Ports = append(es.Ports, discoveryv1.EndpointPort{Name: ptr.To(p.Name), Port: ptr.To(target), Protocol: ptr.To(corev1.ProtocolTCP)})
	}
	return es
}
