package egressgateway

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// gatewayNameLabel selects a Gateway API gateway's pods (Istio
// pilot/pkg/config/kube/gatewaycommon: the Service's selector in
// files/kube-gateway.yaml, "{{.GatewayNameLabel}}": {{.Name}}).
const gatewayNameLabel = "gateway.networking.k8s.io/gateway-name"

// managedPorts are the ports of the Service istiod's deployment controller
// makes for a Gateway API Gateway, as Istio's extractServicePorts
// (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go) does: the
// status port, then one port per listener port, named after its first
// listener (dots to dashes, 63 characters at most, "-<port>" added on a
// clash), with the listener's protocol as appProtocol and no targetPort (the
// API server sets it to the port: the gateway listens on the listener's port).
func (g Gateway) managedPorts() []corev1.ServicePort {
	tcp := "tcp"
	ports := []corev1.ServicePort{{Name: "status-port", Port: 15021, Protocol: corev1.ProtocolTCP, AppProtocol: &tcp}}
	seen := map[int32]bool{}
	used := map[string]bool{"status-port": true}
	for i, l := range g.API.Spec.Listeners {
		if seen[l.Port] {
			continue
		}
		seen[l.Port] = true
		name := strings.ReplaceAll(string(l.Name), ".", "-")
		if name == "" {
			name = fmt.Sprintf("%s-%d", strings.ToLower(string(l.Protocol)), i)
		}
		base := truncate(name, 63)
		name = base
		for suffix := fmt.Sprintf("-%d", l.Port); used[name]; suffix += "x" {
			name = truncate(base, 63-len(suffix)) + suffix
		}
		used[name] = true
		app := strings.ToLower(string(l.Protocol))
		ports = append(ports, corev1.ServicePort{Name: name, Port: l.Port, Protocol: corev1.ProtocolTCP, AppProtocol: &app})
	}
	return ports
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
