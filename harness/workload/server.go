package workload

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"istio-egress-conformance/harness/curl"
)

// The hermetic external host: an HTTPS server outside the mesh.
const (
	ServerNamespace = "egress-external"
	ServerPodName   = "hermetic-server"
	// ServerContainer runs nginx.
	ServerContainer = "nginx"
	ServerTLSSecret = "hermetic-server-tls"
	ServerConfig    = "hermetic-server-nginx"
	ServerPort      = 443
	// ServerBody is what the host answers, so a 200 can be told from any other.
	ServerBody = "hermetic external host"
)

// ServerOptions shape the hermetic host.
type ServerOptions struct {
	// Namespace is ServerNamespace, or that with the run id as suffix.
	Namespace string
	Image     string
	Labels    map[string]string
	// Hosts are the names the certificate covers (the check URLs' hosts and the SNI).
	Hosts   []string
	CertPEM []byte
	KeyPEM  []byte
}

// ServerObjects are the hermetic host's objects in creation order. The pod has
// no Service on purpose: its address is unknown to the mesh, so a client's
// HTTPS to it leaves through the PassthroughCluster exactly as it would to
// the real host on the Internet.
func ServerObjects(o ServerOptions) []Object {
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: o.Namespace, Labels: o.Labels}
	}
	ns := PlainNamespace(o.Namespace, labels.Merge(o.Labels, map[string]string{"istio-injection": "disabled"}))
	secret := &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: meta(ServerTLSSecret),
		Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: o.CertPEM, corev1.TLSPrivateKeyKey: o.KeyPEM},
	}
	conf := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta(ServerConfig),
		Data: map[string]string{"default.conf": NginxConfig(o.Hosts)},
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: ServerPodName, Namespace: o.Namespace, Labels: labels.Merge(o.Labels, map[string]string{"app": ServerPodName})},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr(int64(1)),
			Containers: []corev1.Container{{
				Name:  ServerContainer,
				Image: o.Image,
				Ports: []corev1.ContainerPort{{Name: "https", ContainerPort: ServerPort}},
				VolumeMounts: []corev1.VolumeMount{
					{Name: "tls", MountPath: "/etc/hermetic/tls", ReadOnly: true},
					{Name: "conf", MountPath: "/etc/nginx/conf.d", ReadOnly: true},
				},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
					TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(ServerPort)}}, PeriodSeconds: 2},
			}},
			Volumes: []corev1.Volume{
				{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: ServerTLSSecret}}},
				{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: ServerConfig}}}},
			},
		},
	}
	return []Object{ns, secret, conf, pod}
}

// ServerName is what the hermetic host puts in curl.HermeticServerHeader.
const ServerName = "hermetic-server"

// NginxConfig serves HTTPS for the hosts and answers every path with 200 and
// the host's own header (curl.HermeticServerHeader), which the sidecar passes
// through: positive proof that the host answered, whatever Server says.
//
// A plain HTTP request on the TLS port (a client namespace where the
// DestinationRule does not apply, so the sidecar sends HTTP to port 443) is
// nginx's error 497 (ngx_http_ssl_module, "Error processing"; 444 closes the
// connection without a response: ngx_http_rewrite_module, return). Its default 400 page would come back at once, before a
// 1 ms route timeout can fire, and 400 is not retried; a real HTTPS host just
// fails the exchange. So 497 goes to a location that closes the connection
// without an answer (444), and the route's retries and timeout decide.
func NginxConfig(hosts []string) string {
	return fmt.Sprintf(`server {
    listen %d ssl;
    http2 on;
    server_name %s;
    ssl_certificate /etc/hermetic/tls/tls.crt;
    ssl_certificate_key /etc/hermetic/tls/tls.key;
    error_page 497 = @plain_http_on_tls_port;
    location @plain_http_on_tls_port {
        return 444;
    }
    location / {
        default_type text/plain;
        add_header %s %s always;
        return 200 %q;
    }
}
`, ServerPort, strings.Join(hosts, " "), curl.HermeticServerHeader, ServerName, ServerBody)
}
