package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env())
	require.NoError(t, err)
	assert.True(t, c.RequireCluster, "a live tier that cannot run fails unless skipped on purpose")
	assert.Equal(t, "egress-conformance", c.KindCluster)
	assert.True(t, strings.HasPrefix(c.KindNodeImage, "kindest/node:v1."), c.KindNodeImage)
	assert.Contains(t, c.KindNodeImage, "@sha256:", "the node image is pinned by digest")
	assert.Equal(t, "1.32.0", c.IstioVersion)
	assert.Equal(t, ExternalHermetic, c.External)
	assert.Equal(t, 3, c.Consecutive)
	assert.Equal(t, 60*time.Second, c.CheckTimeout)
	assert.Equal(t, KeepNever, c.Keep)
	assert.False(t, c.UniqueNamespaces, "the seed's tetrate namespace is the default")
	assert.False(t, c.PreloadImages)
	assert.Regexp(t, "^[0-9a-f]{8}$", c.RunID)
	c2, _ := FromEnv(env())
	assert.NotEqual(t, c.RunID, c2.RunID)
}

func TestOverrides(t *testing.T) {
	c, err := FromEnv(env("E2E_REQUIRE_CLUSTER", "0", "KUBECONFIG", "/k", "E2E_ISTIO_VERSION", "1.31.2",
		"E2E_EXTERNAL", "internet", "E2E_CONSECUTIVE", "5", "E2E_CHECK_TIMEOUT", "2m", "E2E_KEEP", "on-failure",
		"E2E_KIND_CLUSTER", "nightly-1", "E2E_CLIENT_IMAGE", "nicolaka/netshoot:v0.13", "E2E_UNIQUE_NAMESPACES", "1", "E2E_PRELOAD_IMAGES", "1"))
	require.NoError(t, err)
	assert.False(t, c.RequireCluster)
	assert.Equal(t, "/k", c.Kubeconfig)
	assert.Equal(t, "1.31.2", c.IstioVersion)
	assert.Equal(t, ExternalInternet, c.External)
	assert.Equal(t, 5, c.Consecutive)
	assert.Equal(t, 2*time.Minute, c.CheckTimeout)
	assert.Equal(t, KeepOnFailure, c.Keep)
	assert.Equal(t, "nightly-1", c.KindCluster)
	assert.Equal(t, "nicolaka/netshoot:v0.13", c.ClientImage)
	assert.True(t, c.UniqueNamespaces)
	assert.True(t, c.PreloadImages)
}

func TestSweepUsesTheSweptRunsID(t *testing.T) {
	c, err := FromEnv(env("E2E_SWEEP", "a189a78a", "KUBECONFIG", "/k"))
	require.NoError(t, err)
	assert.Equal(t, "a189a78a", c.Sweep)
	assert.Equal(t, "a189a78a", c.RunID, "the sweep selects that run's labels")

	_, err = FromEnv(env("E2E_SWEEP", "a189a78a"))
	assert.EqualError(t, err, "E2E_SWEEP=a189a78a needs KUBECONFIG: a sweep cleans an existing cluster (a kind cluster a run created is removed with go tool kind delete cluster)")
	_, err = FromEnv(env("E2E_SWEEP", "all", "KUBECONFIG", "/k"))
	assert.EqualError(t, err, `E2E_SWEEP="all": expected the 8-hex-digit id of an earlier run, as its first line printed`, "never every run: others may share the cluster")
}

func TestBadValues(t *testing.T) {
	cases := map[string][]string{
		`E2E_REQUIRE_CLUSTER="yes please": expected 1, 0, true or false`: {"E2E_REQUIRE_CLUSTER", "yes please"},
		`E2E_UNIQUE_NAMESPACES="on": expected 1, 0, true or false`:       {"E2E_UNIQUE_NAMESPACES", "on"},
		`E2E_PRELOAD_IMAGES="yes": expected 1, 0, true or false`:         {"E2E_PRELOAD_IMAGES", "yes"},
		`E2E_CONSECUTIVE="0": expected a positive whole number`:          {"E2E_CONSECUTIVE", "0"},
		`E2E_CHECK_TIMEOUT="60": expected a positive duration`:           {"E2E_CHECK_TIMEOUT", "60"},
		`E2E_EXTERNAL="cloud": expected one of [hermetic internet]`:      {"E2E_EXTERNAL", "cloud"},
		`E2E_KEEP="sometimes": expected one of`:                          {"E2E_KEEP", "sometimes"},
		`E2E_ISTIO_VERSION="latest": expected a release version`:         {"E2E_ISTIO_VERSION", "latest"},
		`E2E_KIND_CLUSTER="My_Cluster": expected lowercase`:              {"E2E_KIND_CLUSTER", "My_Cluster"},
	}
	for want, kv := range cases {
		_, err := FromEnv(env(kv...))
		assert.ErrorContains(t, err, want)
	}
}
