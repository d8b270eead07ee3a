package diagnostics

import (
	corev1 "k8s.io/api/core/v1"
)

// Redacted replaces a Secret's values by a marker, keeping its keys, so that
// diagnostics show which keys exist without leaking them.
func Redacted(s *corev1.Secret) *corev1.Secret {
	out := s.DeepCopy()
	for k := range out.Data {
		out.Data[k] = []byte("REDACTED")
	}
	for k := range out.StringData {
		out.StringData[k] = "REDACTED"
	}
	return out
}
