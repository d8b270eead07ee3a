package workload

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Names of what the client side uses.
const (
	ClientPodName = "egress-client"
	// ClientContainer runs curl; the sidecar is SidecarContainer.
	ClientContainer  = "curl"
	SidecarContainer = "istio-proxy"
	// CASecretName holds the run's CA in each client namespace (key cacert),
	// for variant DestinationRules that set credentialName to it.
	CASecretName = "egress-conformance-ca"
	// CAConfigMapName is mounted into the client at CAMountDir for curl --cacert.
	CAConfigMapName = "egress-conformance-ca"
	CAMountDir      = "/etc/egress-ca"
	CAFile          = CAMountDir + "/ca.crt"
)

// ClientOptions shape the client namespace and pod.
type ClientOptions struct {
	Namespace string
	Image     string
	// Labels mark ownership (the run id) on every object.
	Labels map[string]string
	// PodLabels are the scenario's client.labels, added to the pod's own.
	PodLabels map[string]string
	// ServiceAccount is the pod's; one other than default is created here.
	ServiceAccount string
	// CA, when set (hermetic mode), is mounted for curl and offered to the sidecar.
	CA []byte
	// HostAliases (hermetic mode) point the check hosts at the hermetic server.
	HostAliases []corev1.HostAlias
}

// ClientObjects are the client namespace's objects, in creation order:
// namespace (sidecar injection on), the service account (unless default), CA
// config (hermetic mode), then the pod.
func ClientObjects(o ClientOptions) []Object {
	objs := []Object{PlainNamespace(o.Namespace, labels.Merge(o.Labels, map[string]string{"istio-injection": "enabled"}))}
	pod := clientPod(o)
	if sa := pod.Spec.ServiceAccountName; sa != defaultServiceAccount {
		objs = append(objs, &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: o.Namespace, Labels: o.Labels}})
	}
	if o.CA != nil {
		meta := metav1.ObjectMeta{Name: CASecretName, Namespace: o.Namespace, Labels: o.Labels}
		objs = append(objs, CASecret(o.Namespace, o.CA, o.Labels),
			&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta,
				Data: map[string]string{"ca.crt": string(o.CA)}},
		)
		pod.Spec.Volumes = []corev1.Volume{{Name: "egress-ca", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: CAConfigMapName}}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "egress-ca", MountPath: CAMountDir, ReadOnly: true}}
	}
	return append(objs, pod)
}

func clientPod(o ClientOptions) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      ClientPodName,
			Namespace: o.Namespace,
			Labels:    labels.Merge(o.Labels, ClientLabels(o.PodLabels)),
			Annotations: map[string]string{
				// curl must not run before the sidecar can route it.
				"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true",
			},
		},
		Spec: corev1.PodSpec{
			// What the ServiceAccount admission plugin would fill in, said
			// outright: Istio's injected token volume needs it, and an API
			// server without that plugin (the control-plane tier's) leaves it empty.
			ServiceAccountName:            orDefault(o.ServiceAccount, defaultServiceAccount),
			HostAliases:                   o.HostAliases,
			TerminationGracePeriodSeconds: ptr(int64(1)),
			Containers: []corev1.Container{{
				Name:    ClientContainer,
				Image:   o.Image,
				Command: []string{"sleep", "86400"}, // busybox (curlimages/curl) has no "infinity"
			}},
		},
	}
}

// HasSidecar reports whether Istio injected its proxy into the pod, as a
// container or as a native sidecar (an init container that keeps running).
func HasSidecar(pod *corev1.Pod) bool {
	for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		if c.Name == SidecarContainer {
			return true
		}
	}
	return false
}

// defaultServiceAccount is what every namespace has.
const defaultServiceAccount = "default"

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// CASecret holds the run's CA for DestinationRules in namespace that set
// credentialName: egress-conformance-ca (key cacert: Istio reads a CA-only
// generic Secret from it, pilot/pkg/credentials/kube/secrets.go).
func CASecret(namespace string, ca []byte, labels map[string]string) *corev1.Secret {
	return &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: CASecretName, Namespace: namespace, Labels: labels},
		Type:       corev1.SecretTypeOpaque, Data: map[string][]byte{"cacert": ca}}
}
