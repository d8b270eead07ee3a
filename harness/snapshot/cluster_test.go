package snapshot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/apiserver"
	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/workload"
)

// others are objects of another team: one exported only to its own
// namespace, one to a namespace that is not the client's, and one exported
// everywhere, which reaches the client.
const others = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: private, namespace: other-team}
spec: {hosts: [private.example.com], exportTo: ["."], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: to-a-third-team, namespace: other-team}
spec: {host: httpbin.org, exportTo: [third-team], trafficPolicy: {tls: {mode: SIMPLE}}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: shared, namespace: other-team}
spec: {hosts: [shared.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}
`

// TestFromClusterReadsWhatReachesTheClient applies the worked example and
// another team's objects to a real API server (kube-apiserver and etcd, with
// Istio's and the Gateway API's CRDs), then snapshots from the cluster in
// KUBECONFIG: the objects that reach payments are read, the others are not,
// and the snapshot differs from the committed one made from files by the
// one shared host alone. Reading it again writes the same file.
func TestFromClusterReadsWhatReachesTheClient(t *testing.T) {
	srv := apiserver.Start(t)
	ctx := context.Background()
	res := srv.Config.Client().Resources()
	objs := []workload.Object{workload.PlainNamespace("payments", nil), workload.PlainNamespace("other-team", nil)}
	files, err := filepath.Glob(filepath.Join(exampleDir, "*.yaml"))
	require.NoError(t, err)
	for _, name := range append(files, "others") {
		data := []byte(others)
		if name != "others" {
			data, err = os.ReadFile(name)
			require.NoError(t, err)
		}
		if filepath.Base(name) == "snapshot.yaml" {
			continue
		}
		f, err := fixture.Parse(name, data)
		require.NoError(t, err)
		for _, o := range f.Objects {
			objs = append(objs, o.Object.(workload.Object))
		}
	}
	require.NoError(t, apply.CreateAll(ctx, res, objs))
	t.Setenv("KUBECONFIG", srv.Kubeconfig)

	dir := t.TempDir()
	args := []string{"--namespace", "payments", "--egress-gateway", "istio-egressgateway", "--name", "platform-payments", "--from-cluster", dir}
	code, out, errOut := runSnapshot(args...)
	require.Equal(t, 0, code, errOut)
	read, err := os.ReadFile(filepath.Join(dir, clusterFile))
	require.NoError(t, err)
	assert.Contains(t, string(read), "name: shared\n")
	assert.NotContains(t, string(read), "private.example.com")
	assert.NotContains(t, string(read), "to-a-third-team")
	assert.NotContains(t, string(read), "resourceVersion")
	assert.Equal(t, 8+1, strings.Count(string(read), "\nkind: "), "the example's 8 objects and the shared one")
	assert.Contains(t, out, "fixtures:\n  - cluster-objects.yaml\n")

	code, diff, _ := runSnapshot(append(args[:len(args)-2], "--diff", filepath.Join(exampleDir, "snapshot.yaml"), "--from-cluster", dir)...)
	assert.Equal(t, ExitChanged, code)
	assert.Equal(t, "http://shared.example.com: new check http-shared-example-com (ServiceEntry other-team/shared)\n", diff)

	again, err := os.ReadFile(filepath.Join(dir, clusterFile))
	require.NoError(t, err)
	assert.Equal(t, string(read), string(again), "an unchanged cluster is read into the same file")
}

// TestFromAnUnreachableClusterIsOneLine: a KUBECONFIG whose server does not
// answer ends the command with one line naming the server.
func TestFromAnUnreachableClusterIsOneLine(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: x}}]
current-context: c
`), 0o600))
	t.Setenv("KUBECONFIG", kubeconfig)
	code, out, errOut := runSnapshot("--namespace", "payments", "--from-cluster", t.TempDir())
	assert.Equal(t, ExitError, code)
	assert.Empty(t, out)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	assert.Contains(t, errOut, "snapshot: --from-cluster: reading the cluster at https://127.0.0.1:1")
}
