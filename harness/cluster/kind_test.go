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
