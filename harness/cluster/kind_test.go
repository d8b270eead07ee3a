package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/e2e-framework/support"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
)

func TestNewKindTakesPinnedPathAndOverrides(t *testing.T) {
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"E2E_KIND_CLUSTER": "nightly", "E2E_KIND_NODE_IMAGE": "kindest/node:v1.35.0", "E2E_KIND_CONFIG": "/k.yaml"}[k]
	})
	require.NoError(t, err)
	k := NewKind("/cache/kind", cfg)
	assert.Equal(t, &Kind{Path: "/cache/kind", Name: "nightly", Image: "kindest/node:v1.35.0", Config: "/k.yaml"}, k)
	assert.Implements(t, (*support.E2EClusterProvider)(nil), k.Provider())
	assert.Same(t, k.Provider(), k.Provider(), "one provider per run, so Destroy acts on what Create made")
}

func TestCheckNoClash(t *testing.T) {
	k := &Kind{Path: "/cache/kind", Name: "egress-conformance"}
	rec := &command.Recorder{Replies: map[string]command.Reply{"/cache/kind get clusters": {Out: []byte("dev\nkind\n")}}}
	require.NoError(t, k.CheckNoClash(context.Background(), rec))
	assert.Equal(t, []string{"/cache/kind get clusters"}, rec.Lines())

	rec.Replies["/cache/kind get clusters"] = command.Reply{Out: []byte("dev\negress-conformance\n")}
	err := k.CheckNoClash(context.Background(), rec)
	assert.EqualError(t, err, `kind cluster "egress-conformance" already exists and this run did not create it: reuse it with `+"`"+`/cache/kind export kubeconfig --name egress-conformance --kubeconfig <file>`+"`"+` and KUBECONFIG=<file>, or pick another name with E2E_KIND_CLUSTER`)

	rec.Replies["/cache/kind get clusters"] = command.Reply{Err: errors.New("/cache/kind get clusters: exit status 1: failed to list nodes")}
	assert.ErrorContains(t, k.CheckNoClash(context.Background(), rec), "kind: cannot list clusters: /cache/kind get clusters: exit status 1: failed to list nodes")
}

func TestLoadImagesNamesAMissingImageFirst(t *testing.T) {
	k := &Kind{Path: "/cache/kind", Name: "egress-conformance"}
	inspect := func(image string) string { return "docker image inspect --format {{.Id}} " + image }
	rec := &command.Recorder{Replies: map[string]command.Reply{
		inspect("curlimages/curl:8.11.1"): {Out: []byte("sha256:abc\n")},
		inspect("nginx:1.27.3-alpine"):    {Err: errors.New("docker image inspect --format {{.Id}} nginx:1.27.3-alpine: exit status 1: Error response from daemon: No such image: nginx:1.27.3-alpine")},
	}}
	err := k.LoadImages(context.Background(), rec, []string{"curlimages/curl:8.11.1", "nginx:1.27.3-alpine"})
	assert.EqualError(t, err, "E2E_PRELOAD_IMAGES=1: image nginx:1.27.3-alpine is not in the local Docker engine (docker pull nginx:1.27.3-alpine, or docker load it, first): "+
		"docker image inspect --format {{.Id}} nginx:1.27.3-alpine: exit status 1: Error response from daemon: No such image: nginx:1.27.3-alpine")
	assert.Equal(t, []string{inspect("curlimages/curl:8.11.1"), inspect("nginx:1.27.3-alpine")}, rec.Lines(), "nothing is loaded before every image is known to be there")
	assert.Implements(t, (*support.E2EClusterProviderWithImageLoader)(nil), k.Provider(), "the provider loads with `kind load docker-image`")
}
