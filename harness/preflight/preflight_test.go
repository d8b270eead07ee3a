package preflight

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
)

func noAPIServer(context.Context, string) (string, error) {
	return "", errors.New("should not be called")
}

func TestNoDockerNoKubeconfigSkipsWithOneLine(t *testing.T) {
	rec := &command.Recorder{Replies: map[string]command.Reply{
		"docker info --format {{.ServerVersion}}": {Err: errors.New("docker info --format {{.ServerVersion}}: exit status 1: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")},
	}}
	r, err := Run(context.Background(), config.Config{}, Probes{Runner: rec, APIServer: noAPIServer})
	require.NoError(t, err)
	assert.Empty(t, r.Mode)
	assert.Equal(t, "live tier skipped (go test -short or E2E_REQUIRE_CLUSTER=0): no Docker engine for kind (docker info --format {{.ServerVersion}}: exit status 1: "+
		"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?) and no KUBECONFIG "+
		"for an existing cluster", r.SkipLine())
	assert.Regexp(t, `^live tier cannot run: no Docker engine .*; skip it with go test -short \./\.\.\. \(or E2E_REQUIRE_CLUSTER=0\)$`, r.FailLine())
	assert.Equal(t, []string{"docker info --format {{.ServerVersion}}"}, rec.Lines(), "no tool is built when there is no cluster")
}

func TestUnreachableKubeconfig(t *testing.T) {
	rec := &command.Recorder{}
	r, err := Run(context.Background(), config.Config{Kubeconfig: "/tmp/kc"}, Probes{Runner: rec,
		APIServer: func(context.Context, string) (string, error) {
			return "", errors.New("Get \"https://127.0.0.1:6443/version\": dial tcp 127.0.0.1:6443: connect: connection refused")
		}})
	require.NoError(t, err)
	assert.Equal(t, `live tier skipped (go test -short or E2E_REQUIRE_CLUSTER=0): the cluster in KUBECONFIG=/tmp/kc is unreachable: Get "https://127.0.0.1:6443/version": dial tcp 127.0.0.1:6443: connect: connection refused`, r.SkipLine())
	assert.Empty(t, rec.Calls, "docker is not consulted when a kubeconfig is given")
}

func TestDockerPresentBuildsPinnedTools(t *testing.T) {
	rec := &command.Recorder{Replies: map[string]command.Reply{
		"docker info --format {{.ServerVersion}}": {Out: []byte("28.2.2\n")},
		"go tool -n kind":                         {Out: []byte("/root/.cache/go-build/kind\n")},
		"go tool -n helm":                         {Out: []byte("/root/.cache/go-build/helm\n")},
	}}
	r, err := Run(context.Background(), config.Config{}, Probes{Runner: rec, APIServer: noAPIServer})
	require.NoError(t, err)
	assert.Equal(t, ModeKind, r.Mode)
	assert.Equal(t, map[string]string{"kind": "/root/.cache/go-build/kind", "helm": "/root/.cache/go-build/helm"}, r.Tools)
}

func TestExistingClusterNeedsOnlyHelm(t *testing.T) {
	rec := &command.Recorder{Replies: map[string]command.Reply{"go tool -n helm": {Out: []byte("/bin/helm\n")}}}
	r, err := Run(context.Background(), config.Config{Kubeconfig: "/kc"}, Probes{Runner: rec,
		APIServer: func(context.Context, string) (string, error) { return "v1.35.0", nil }})
	require.NoError(t, err)
	assert.Equal(t, ModeExisting, r.Mode)
	assert.Equal(t, "v1.35.0", r.ServerVersion)
	assert.Equal(t, []string{"go tool -n helm"}, rec.Lines())
}

func TestToolThatDoesNotBuild(t *testing.T) {
	rec := &command.Recorder{Replies: map[string]command.Reply{
		"docker info --format {{.ServerVersion}}": {},
		"go tool -n kind":                         {Err: errors.New("go tool -n kind: exit status 1: go: no such tool \"kind\"")},
	}}
	_, err := Run(context.Background(), config.Config{}, Probes{Runner: rec, APIServer: noAPIServer})
	assert.EqualError(t, err, `pinned tool kind (a tool directive in go.mod) could not be built: go tool -n kind: exit status 1: go: no such tool "kind"`)
}

// TestToolPathForReal resolves gotestsum, which `make test` builds anyway.
func TestToolPathForReal(t *testing.T) {
	path, err := ToolPath(context.Background(), command.Exec{}, "gotestsum")
	require.NoError(t, err)
	assert.FileExists(t, path)
	_, err = ToolPath(context.Background(), command.Exec{}, "no-such-tool")
	assert.ErrorContains(t, err, "pinned tool no-such-tool (a tool directive in go.mod) could not be built")
}

func TestExpiredDeadlineIsItsOwnLine(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	killed := errors.New("signal: killed")
	for name, tc := range map[string]struct {
		cfg    config.Config
		probes Probes
		want   string
	}{
		"docker probe": {config.Config{}, Probes{Runner: &command.Recorder{Replies: map[string]command.Reply{"docker info --format {{.ServerVersion}}": {Err: killed}}}, APIServer: noAPIServer},
			"preflight stopped while asking the Docker engine for its version (docker info): context deadline exceeded"},
		"API server probe": {config.Config{Kubeconfig: "/kc"}, Probes{Runner: &command.Recorder{}, APIServer: func(context.Context, string) (string, error) { return "", killed }},
			"preflight stopped while reaching the API server in KUBECONFIG=/kc: context deadline exceeded"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Run(expired, tc.cfg, tc.probes)
			assert.EqualError(t, err, tc.want, "a deadline is not a missing cluster")
			assert.Empty(t, r.Missing)
		})
	}
}
