package diagnostics

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

type fakeSource struct {
	calls []string
	big   int
}

func (f *fakeSource) Exec(_ context.Context, ns, pod, c string, argv []string) ([]byte, error) {
	f.calls = append(f.calls, "exec "+ns+"/"+pod+" -c "+c+" -- "+strings.Join(argv, " "))
	switch argv[3] {
	case "clusters":
		return []byte("outbound|80||www.tetrate.io::10.244.0.7:443::rq_timeout::4\noutbound|9080||reviews.default::1.2.3.4:9080::cx_active::0\nPassthroughCluster::observability_name::PassthroughCluster\n"), nil
	case "stats":
		return []byte("cluster.outbound|80||www.tetrate.io.upstream_rq_timeout: 4\ncluster.xds-grpc.upstream_cx_total: 1\n"), nil
	}
	return []byte(strings.Repeat("x", f.big)), nil
}

func (f *fakeSource) Logs(_ context.Context, ns, pod, c string) ([]byte, error) {
	f.calls = append(f.calls, "logs "+ns+"/"+pod+" -c "+c)
	if c == "curl" {
		return nil, errors.New("container curl is waiting to start")
	}
	return []byte("[2026-11-25T22:00:00Z] \"GET / HTTP/1.1\" 504 UT upstream_reset_before_response_started\n"), nil
}

func (f *fakeSource) Events(_ context.Context, ns string) ([]byte, error) {
	f.calls = append(f.calls, "events "+ns)
	return []byte("- reason: Pulled\n"), nil
}

func (f *fakeSource) Objects(context.Context) ([]byte, error) {
	f.calls = append(f.calls, "objects")
	return []byte("kind: ServiceEntry\n"), nil
}

var target = Target{Scenario: "tetrate-https-egress", Namespace: "tetrate", Pod: "egress-client", Container: "curl", Sidecar: "istio-proxy", Hosts: []string{"www.tetrate.io"}}

func TestCollectLayoutAndCommands(t *testing.T) {
	dir := t.TempDir()
	src := &fakeSource{big: 10}
	err := Collect(context.Background(), dir, target, src)
	assert.EqualError(t, err, "logs-curl.txt: container curl is waiting to start", "one failed source is reported, the rest is collected")
	assert.Equal(t, []string{
		"exec tetrate/egress-client -c istio-proxy -- pilot-agent request GET config_dump",
		"exec tetrate/egress-client -c istio-proxy -- pilot-agent request GET clusters",
		"exec tetrate/egress-client -c istio-proxy -- pilot-agent request GET stats",
		"logs tetrate/egress-client -c istio-proxy",
		"logs tetrate/egress-client -c curl",
		"events tetrate",
		"objects",
	}, src.calls)
	files, _ := filepath.Glob(filepath.Join(dir, "tetrate-https-egress", "*"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	assert.ElementsMatch(t, []string{"envoy-config_dump.json", "envoy-clusters.txt", "envoy-stats.txt", "logs-istio-proxy.txt", "events.yaml", "objects.yaml", "index.txt"}, names)

	clusters, _ := os.ReadFile(filepath.Join(dir, "tetrate-https-egress", "envoy-clusters.txt"))
	assert.Contains(t, string(clusters), "outbound|80||www.tetrate.io::10.244.0.7:443")
	assert.NotContains(t, string(clusters), "reviews.default", "only the host's clusters are kept")
	stats, _ := os.ReadFile(filepath.Join(dir, "tetrate-https-egress", "envoy-stats.txt"))
	assert.Equal(t, "cluster.outbound|80||www.tetrate.io.upstream_rq_timeout: 4", string(stats))
	index, _ := os.ReadFile(filepath.Join(dir, "tetrate-https-egress", "index.txt"))
	assert.Contains(t, string(index), "logs-curl.txt: logs tetrate/egress-client -c curl: FAILED: container curl is waiting to start")
	assert.Contains(t, string(index), "envoy-config_dump.json: exec tetrate/egress-client -c istio-proxy -- pilot-agent request GET config_dump (10 bytes)")
}

func TestCollectIsBounded(t *testing.T) {
	dir := t.TempDir()
	require.Error(t, Collect(context.Background(), dir, target, &fakeSource{big: 5 * MaxFileBytes}))
	dump, err := os.ReadFile(filepath.Join(dir, "tetrate-https-egress", "envoy-config_dump.json"))
	require.NoError(t, err)
	assert.Len(t, dump, MaxFileBytes)
	assert.True(t, strings.HasSuffix(string(dump), truncationNote))

	total := 0
	files, _ := filepath.Glob(filepath.Join(dir, "tetrate-https-egress", "*"))
	for _, f := range files {
		info, _ := os.Stat(f)
		total += int(info.Size())
	}
	assert.LessOrEqual(t, total, MaxScenarioBytes+4096, "the scenario's budget holds (index aside)")
}

func TestBound(t *testing.T) {
	assert.Equal(t, "abc", string(bound([]byte("abc"), 10)))
	assert.Len(t, bound([]byte(strings.Repeat("a", 1000)), 100), 100)
	assert.Len(t, bound([]byte(strings.Repeat("a", 1000)), 0), 0)
}

func TestRedacted(t *testing.T) {
	s := &corev1.Secret{Data: map[string][]byte{"cacert": []byte("-----BEGIN CERTIFICATE-----"), "tls.key": []byte("KEY")}}
	r := Redacted(s)
	assert.Equal(t, []byte("REDACTED"), r.Data["tls.key"])
	assert.Equal(t, []byte("REDACTED"), r.Data["cacert"])
	assert.Equal(t, []byte("KEY"), s.Data["tls.key"], "the original is untouched")
}

// TestCollectReadsTheEgressGateway: with an egress gateway, its Envoy's
// config and clusters and its access log (where istio.io's egress-gateway
// tests look for outbound|80||edition.cnn.com) are collected too.
func TestCollectReadsTheEgressGateway(t *testing.T) {
	withGateway := target
	withGateway.Gateway = &Pod{Namespace: "istio-system", Name: "istio-egressgateway-5f7c-x2x9q"}
	src := &fakeSource{big: 10}
	dir := t.TempDir()
	_ = Collect(context.Background(), dir, withGateway, src)
	assert.Equal(t, []string{
		"exec istio-system/istio-egressgateway-5f7c-x2x9q -c istio-proxy -- pilot-agent request GET config_dump",
		"exec istio-system/istio-egressgateway-5f7c-x2x9q -c istio-proxy -- pilot-agent request GET clusters",
		"logs istio-system/istio-egressgateway-5f7c-x2x9q -c istio-proxy",
	}, src.calls[len(src.calls)-3:])
	clusters, err := os.ReadFile(filepath.Join(dir, "tetrate-https-egress", "gateway-envoy-clusters.txt"))
	require.NoError(t, err)
	assert.Equal(t, "outbound|80||www.tetrate.io::10.244.0.7:443::rq_timeout::4", string(clusters))
	_, err = os.Stat(filepath.Join(dir, "tetrate-https-egress", "gateway-logs-istio-proxy.txt"))
	assert.NoError(t, err)
}
