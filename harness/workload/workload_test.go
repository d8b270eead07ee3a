package workload

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"istio-egress-conformance/harness/fixture"
)

var runLabels = map[string]string{"egress-conformance.io/run-id": "abcd1234"}

// decodeBack renders objects and decodes them with the strict fixture parser,
// as a reader of the manifest (or the API server) would.
func decodeBack(t *testing.T, objs []Object) []fixture.Object {
	t.Helper()
	y, err := Render(objs)
	require.NoError(t, err)
	f, err := fixture.Parse("rendered.yaml", y)
	require.NoError(t, err, string(y))
	require.Len(t, f.Objects, len(objs))
	for _, o := range f.Objects {
		assert.Equal(t, "abcd1234", o.Object.GetLabels()["egress-conformance.io/run-id"], "%s carries the run id", o)
	}
	return f.Objects
}

func TestClientObjectsHermetic(t *testing.T) {
	objs := decodeBack(t, ClientObjects(ClientOptions{Namespace: "tetrate", Image: "curlimages/curl:8.11.1", Labels: runLabels, CA: []byte("PEM")}))
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.String())
	}
	assert.Equal(t, []string{"Namespace tetrate", "Secret tetrate/egress-conformance-ca", "ConfigMap tetrate/egress-conformance-ca", "Pod tetrate/egress-client"}, kinds)

	ns := objs[0].Object.(*corev1.Namespace)
	assert.Equal(t, "enabled", ns.Labels["istio-injection"])
	secret := objs[1].Object.(*corev1.Secret)
	assert.Equal(t, []byte("PEM"), secret.Data["cacert"], "Istio reads a CA-only generic secret from key cacert")
	pod := objs[3].Object.(*corev1.Pod)
	assert.Equal(t, ClientApp, pod.Labels["app"], "variant fixtures select the client by app label")
	assert.Equal(t, "curlimages/curl:8.11.1", pod.Spec.Containers[0].Image)
	assert.Equal(t, []string{"sleep", "86400"}, pod.Spec.Containers[0].Command)
	assert.Equal(t, CAMountDir, pod.Spec.Containers[0].VolumeMounts[0].MountPath)
	assert.Equal(t, CAConfigMapName, pod.Spec.Volumes[0].ConfigMap.Name)
	assert.Contains(t, pod.Annotations["proxy.istio.io/config"], "holdApplicationUntilProxyStarts: true")
	assert.False(t, HasSidecar(pod), "injection happens in the API server, not here")
}

func TestClientObjectsInternetHaveNoCA(t *testing.T) {
	objs := decodeBack(t, ClientObjects(ClientOptions{Namespace: "tetrate", Image: "img", Labels: runLabels}))
	require.Len(t, objs, 2)
	pod := objs[1].Object.(*corev1.Pod)
	assert.Empty(t, pod.Spec.Volumes)
}

func TestHasSidecar(t *testing.T) {
	classic := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "curl"}, {Name: "istio-proxy"}}}}
	native := &corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "istio-init"}, {Name: "istio-proxy"}}, Containers: []corev1.Container{{Name: "curl"}}}}
	none := &corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "istio-init"}}, Containers: []corev1.Container{{Name: "curl"}}}}
	assert.True(t, HasSidecar(classic))
	assert.True(t, HasSidecar(native))
	assert.False(t, HasSidecar(none))
}

func TestServerObjects(t *testing.T) {
	objs := decodeBack(t, ServerObjects(ServerOptions{Namespace: "egress-external-abcd1234", Image: "nginx:1.27.3-alpine", Labels: runLabels,
		Hosts: []string{"www.tetrate.io", "tetrate.io"}, CertPEM: []byte("CERT"), KeyPEM: []byte("KEY")}))
	for _, o := range objs[1:] {
		assert.Equal(t, "egress-external-abcd1234", o.Object.GetNamespace(), "%s", o)
	}
	ns := objs[0].Object.(*corev1.Namespace)
	assert.Equal(t, "egress-external-abcd1234", ns.Name)
	assert.Equal(t, "disabled", ns.Labels["istio-injection"], "the external host must not join the mesh")
	secret := objs[1].Object.(*corev1.Secret)
	assert.Equal(t, corev1.SecretTypeTLS, secret.Type)
	assert.Equal(t, []byte("CERT"), secret.Data["tls.crt"])
	conf := objs[2].Object.(*corev1.ConfigMap).Data["default.conf"]
	assert.Contains(t, conf, "listen 443 ssl;")
	assert.Contains(t, conf, "server_name www.tetrate.io tetrate.io;")
	assert.Contains(t, conf, "ssl_certificate /etc/hermetic/tls/tls.crt;")
	// Plain HTTP on the TLS port (error 497) is closed without an answer
	// (444), not answered 400 before the route timeout can fire.
	assert.Contains(t, conf, "error_page 497 = @plain_http_on_tls_port;")
	assert.Regexp(t, `location @plain_http_on_tls_port \{\s+return 444;\s+\}`, conf)
	assert.NotContains(t, conf, "return 400")
	assert.Contains(t, conf, "add_header X-Egress-Conformance-Server hermetic-server always;", "every answer, 200 or not, carries the host's mark")
	pod := objs[3].Object.(*corev1.Pod)
	assert.Equal(t, int32(443), pod.Spec.Containers[0].Ports[0].ContainerPort)
	assert.Equal(t, ServerTLSSecret, pod.Spec.Volumes[0].Secret.SecretName)
	for _, o := range objs {
		assert.NotEqual(t, "Service", o.Object.GetObjectKind().GroupVersionKind().Kind, "no Service: the host stays outside the mesh registry")
	}
}

// TestHermeticClientResolvesThroughHostAliases: every check host maps to
// each of the server's addresses (both families of a dual-stack pod), in the
// client pod's own spec; nothing else carries them.
func TestHermeticClientResolvesThroughHostAliases(t *testing.T) {
	aliases := HostAliases([]string{"10.244.0.7", "fd00:10:244::7"}, []string{"www.tetrate.io", "tetrate.io"})
	objs := decodeBack(t, ClientObjects(ClientOptions{Namespace: "tetrate", Image: "img", Labels: runLabels, HostAliases: aliases}))
	pod := objs[len(objs)-1].Object.(*corev1.Pod)
	assert.Equal(t, []corev1.HostAlias{
		{IP: "10.244.0.7", Hostnames: []string{"www.tetrate.io", "tetrate.io"}},
		{IP: "fd00:10:244::7", Hostnames: []string{"www.tetrate.io", "tetrate.io"}},
	}, pod.Spec.HostAliases)
	assert.Nil(t, HostAliases([]string{"10.244.0.7"}, nil), "no hosts, no aliases")
	assert.Equal(t, []corev1.HostAlias{{IP: "10.244.0.7", Hostnames: []string{"www.tetrate.io"}}},
		HostAliases([]string{"10.244.0.7"}, []string{"WWW.Tetrate.io", "www.tetrate.io", "203.0.113.9", "[fd00::1]"}),
		"names lowercased once, IP literals left out: the API server takes DNS-1123 subdomains only")
	assert.Empty(t, decodeBack(t, ClientObjects(ClientOptions{Namespace: "t", Image: "img", Labels: runLabels}))[1].Object.(*corev1.Pod).Spec.HostAliases,
		"the internet mode's client resolves through the cluster DNS")
}

func TestPodIPsPreferTheListOfFamilies(t *testing.T) {
	dual := &corev1.Pod{Status: corev1.PodStatus{PodIP: "10.244.0.7", PodIPs: []corev1.PodIP{{IP: "10.244.0.7"}, {IP: "fd00::7"}}}}
	assert.Equal(t, []string{"10.244.0.7", "fd00::7"}, PodIPs(dual))
	assert.Equal(t, []string{"10.0.0.1"}, PodIPs(&corev1.Pod{Status: corev1.PodStatus{PodIP: "10.0.0.1"}}))
	assert.Empty(t, PodIPs(&corev1.Pod{}))
}

// TestClientIdentityFromTheScenario: client.labels join the pod's own (and
// win), and a service account other than default is created before the pod.
func TestClientIdentityFromTheScenario(t *testing.T) {
	objs := decodeBack(t, ClientObjects(ClientOptions{Namespace: "tetrate", Image: "img", Labels: runLabels,
		PodLabels: map[string]string{"app": "sleep", "version": "v1"}, ServiceAccount: "sleep"}))
	require.Len(t, objs, 3)
	assert.Equal(t, "ServiceAccount tetrate/sleep", objs[1].String())
	pod := objs[2].Object.(*corev1.Pod)
	assert.Equal(t, "sleep", pod.Spec.ServiceAccountName)
	assert.Equal(t, map[string]string{"app": "sleep", "version": "v1", "egress-conformance.io/run-id": "abcd1234"}, pod.Labels)
	assert.Equal(t, "default", decodeBack(t, ClientObjects(ClientOptions{Namespace: "t", Image: "img", Labels: runLabels}))[1].Object.(*corev1.Pod).Spec.ServiceAccountName)
}
