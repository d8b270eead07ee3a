package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	err := k.LoadImages(context.Background(), rec, "linux/arm64", "/tmp/x", []string{"curlimages/curl:8.11.1", "nginx:1.27.3-alpine"})
	assert.EqualError(t, err, "E2E_PRELOAD_IMAGES=1: image nginx:1.27.3-alpine is not in the local Docker engine (docker pull --platform linux/arm64 nginx:1.27.3-alpine, or docker load it, first): "+
		"docker image inspect --format {{.Id}} nginx:1.27.3-alpine: exit status 1: Error response from daemon: No such image: nginx:1.27.3-alpine")
	assert.Equal(t, []string{inspect("curlimages/curl:8.11.1"), inspect("nginx:1.27.3-alpine")}, rec.Lines(), "nothing is loaded before every image is known to be there")
}

// TestLoadImagesSavesForTheNodesPlatform: one archive per image, saved for
// the node's platform only, loaded with kind load image-archive (kind PR
// #4247's workaround for Docker's containerd image store).
func TestLoadImagesSavesForTheNodesPlatform(t *testing.T) {
	k := &Kind{Path: "/cache/kind", Name: "nightly"}
	rec := &command.Recorder{}
	images := []string{"curlimages/curl:8.11.1", "docker.io/istio/proxyv2:1.32.0"}
	require.NoError(t, k.LoadImages(context.Background(), rec, "linux/amd64", "/tmp/images", images))
	assert.Equal(t, []string{
		"docker image inspect --format {{.Id}} curlimages/curl:8.11.1",
		"docker image inspect --format {{.Id}} docker.io/istio/proxyv2:1.32.0",
		"docker image save --platform linux/amd64 --output /tmp/images/image-0.tar curlimages/curl:8.11.1",
		"/cache/kind load image-archive /tmp/images/image-0.tar --name nightly",
		"docker image save --platform linux/amd64 --output /tmp/images/image-1.tar docker.io/istio/proxyv2:1.32.0",
		"/cache/kind load image-archive /tmp/images/image-1.tar --name nightly",
	}, rec.Lines())

	rec = &command.Recorder{Replies: map[string]command.Reply{
		"docker image save --platform linux/amd64 --output /tmp/images/image-0.tar curlimages/curl:8.11.1": {Err: errors.New("docker image save: exit status 125: unknown flag: --platform")}}}
	err := k.LoadImages(context.Background(), rec, "linux/amd64", "/tmp/images", images[:1])
	assert.EqualError(t, err, "E2E_PRELOAD_IMAGES=1: save curlimages/curl:8.11.1 for linux/amd64 (needs Docker 28 or later, and the image pulled for that platform): docker image save: exit status 125: unknown flag: --platform")
}

func node(name, os, arch string) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{OperatingSystem: os, Architecture: arch}}}
}

func TestNodePlatformComesFromTheKubelet(t *testing.T) {
	p, err := NodePlatform([]corev1.Node{node("cp", "linux", "arm64"), node("w", "linux", "arm64")})
	require.NoError(t, err)
	assert.Equal(t, "linux/arm64", p)
	_, err = NodePlatform([]corev1.Node{node("cp", "linux", "arm64"), node("w", "linux", "amd64")})
	assert.EqualError(t, err, "nodes of two platforms (linux/arm64 and linux/amd64): E2E_PRELOAD_IMAGES=1 loads one platform")
	_, err = NodePlatform([]corev1.Node{node("cp", "linux", "")})
	assert.EqualError(t, err, "node cp reports no operating system or architecture in status.nodeInfo")
	_, err = NodePlatform(nil)
	assert.EqualError(t, err, "the cluster has no nodes to load images into")
}
