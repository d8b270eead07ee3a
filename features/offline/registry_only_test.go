package offline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
)

// TestBlackholeComesFromTheSidecar: the negative control's blackhole is
// Istio's translation of its REGISTRY_ONLY Sidecar. Without that fixture the
// same client's HTTPS passes through, and the catalog's expectation fails.
func TestBlackholeComesFromTheSidecar(t *testing.T) {
	s, err := scenarios.BuiltinNamed("tetrate-registry-only")
	require.NoError(t, err)
	require.Len(t, s.Resolved, 2, "tetrate.yaml and sidecar-registry-only.yaml")
	with, err := offline.Predict(s)
	require.NoError(t, err)
	assert.Equal(t, results.BlackHoleCluster, with[0].Cluster)
	assert.Nil(t, with[0].Headers, "TCP: no HTTP connection manager")

	s.Resolved = s.Resolved[:1]
	without, err := offline.Predict(s)
	require.NoError(t, err)
	assert.Equal(t, results.PassthroughCluster, without[0].Cluster)
	assert.NotEmpty(t, verdict.Verify(s.Checks[0], without[0]), "the blackhole expectation fails under ALLOW_ANY")
	assert.Equal(t, with[1].Cluster, without[1].Cluster, "the registered HTTP port routes either way")
}

// TestServerHeaderBehaviourIsRead: the prediction reports what Istio's
// generated outbound HTTP connection manager does to the headers the live
// tier judges `from` by.
func TestServerHeaderBehaviourIsRead(t *testing.T) {
	s, err := scenarios.BuiltinNamed("tetrate-https-egress")
	require.NoError(t, err)
	p, err := offline.Predict(s)
	require.NoError(t, err)
	assert.Nil(t, p[0].Headers, "passthrough")
	assert.Equal(t, &results.ResponseHeaders{ServerTransformation: "OVERWRITE", ServerName: "envoy", UpstreamServiceTime: true}, p[1].Headers)
}
