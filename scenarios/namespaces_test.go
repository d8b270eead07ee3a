package scenarios

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/scenarios/contract"
)

func builtinScenario(t *testing.T, id string) Scenario {
	t.Helper()
	s, err := BuiltinNamed(id)
	require.NoError(t, err)
	return s
}

func namespacesOf(s Scenario) []string {
	var out []string
	for _, o := range s.Objects() {
		out = append(out, o.Object.GetNamespace())
	}
	return out
}

func TestFixtureNamespaces(t *testing.T) {
	assert.Empty(t, builtinScenario(t, "tetrate-https-egress").FixtureNamespaces(), "the seed's objects live in the client's namespace")
	assert.Equal(t, []string{"tetrate"}, builtinScenario(t, "tetrate-other-namespace").FixtureNamespaces())
}

func TestWithNamespaceSuffix(t *testing.T) {
	other := builtinScenario(t, "tetrate-other-namespace")
	renamed, err := other.WithNamespaceSuffix("abcd1234")
	require.NoError(t, err)
	assert.Equal(t, "egress-other-abcd1234", renamed.Client.Namespace)
	assert.Equal(t, []string{"tetrate-abcd1234", "tetrate-abcd1234", "tetrate-abcd1234"}, namespacesOf(renamed))
	assert.Equal(t, []string{"tetrate-abcd1234"}, renamed.FixtureNamespaces(), "the client still sits apart from the fixtures")
	assert.Equal(t, "egress-other", other.Client.Namespace, "the original is not modified")
	assert.Equal(t, []string{"tetrate", "tetrate", "tetrate"}, namespacesOf(other))

	seed, err := builtinScenario(t, "tetrate-https-egress").WithNamespaceSuffix("abcd1234")
	require.NoError(t, err)
	assert.Equal(t, "tetrate-abcd1234", seed.Client.Namespace)
	assert.Empty(t, seed.FixtureNamespaces(), "client and fixtures still share one namespace")
}

func TestWithNamespaceSuffixKeepsTheRootNamespaceAndRenamesNamespaceObjects(t *testing.T) {
	dir := fstest.MapFS{
		"mesh.yaml": {Data: []byte(strings.Replace(validScenario, "fixtures: [tetrate.yaml]", "fixtures: [team.yaml]", 1))},
		"team.yaml": {Data: []byte(`apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  outboundTrafficPolicy: {mode: ALLOW_ANY}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: team}
spec:
  hosts: [ext.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
`)},
	}
	entries, err := Load(dir, "test")
	require.NoError(t, err)
	require.NoError(t, entries[0].Err)
	s := entries[0].Scenario
	assert.Equal(t, []string{"istio-system"}, s.FixtureNamespaces(), "team comes with the fixtures")

	renamed, err := s.WithNamespaceSuffix("x1")
	require.NoError(t, err)
	objs := renamed.Objects()
	assert.Equal(t, "team-x1", objs[0].Object.GetName())
	assert.Equal(t, "istio-system", objs[1].Object.GetNamespace(), "mesh-wide config stays in the root namespace")
	assert.Equal(t, "team-x1", objs[2].Object.GetNamespace())
	assert.Equal(t, "tetrate-x1", renamed.Client.Namespace)
}

func TestWithNamespaceSuffixRejectsTooLongNames(t *testing.T) {
	s := builtinScenario(t, "tetrate-https-egress")
	s.Client.Namespace = strings.Repeat("n", 60)
	_, err := s.WithNamespaceSuffix("abcd1234")
	assert.EqualError(t, err, `scenario scenarios/tetrate-https-egress.yaml: namespace "`+s.Client.Namespace+`" with the run id suffix is "`+s.Client.Namespace+
		`-abcd1234", not a namespace name: must be no more than 63 characters (E2E_UNIQUE_NAMESPACES=1 needs names of at most 54 characters)`)
}

// TestWithNamespaceSuffixRenamesTheHostsChecksMean: an in-cluster host in a
// URL, an expected cluster or an upstream host follows its namespace, so the
// control-plane tier judges the objects the check was written for.
func TestWithNamespaceSuffixRenamesTheHostsChecksMean(t *testing.T) {
	alias := builtinScenario(t, "istio-doc-egress-k8s-externalname-se")
	renamed, err := alias.WithNamespaceSuffix("x1")
	require.NoError(t, err)
	assert.Equal(t, "http://my-httpbin.istio-doc-egress-k8s-externalname-se-x1.svc.cluster.local/headers", renamed.Checks[0].URL)
	assert.Equal(t, "outbound|80||httpbin.org", renamed.Checks[0].Expect.Cluster, "an external host has no namespace")
	assert.Equal(t, "http://my-httpbin.istio-doc-egress-k8s-externalname-se.svc.cluster.local/headers", alias.Checks[0].URL, "the original is not modified")

	c := Check{URL: "http://a.team:8080/x", Expect: contract.Expect{Cluster: "outbound|80||a.team.svc.cluster.local", Upstream: &contract.Upstream{Host: "a.team.svc"}}}
	got := withRenamedHosts(c, map[string]string{"team": "team-x1"})
	assert.Equal(t, "http://a.team-x1:8080/x", got.URL)
	assert.Equal(t, "outbound|80||a.team-x1.svc.cluster.local", got.Expect.Cluster)
	assert.Equal(t, "a.team-x1.svc", got.Expect.Upstream.Host)
	assert.Equal(t, "a.team.svc", c.Expect.Upstream.Host, "the original is not modified")
}

// TestGatewayFollowsItsNamespace: a gateway in istio-system keeps its name
// (the mesh root); one in another namespace moves with it, and the expected
// clusters of both hops name the renamed hosts.
func TestGatewayFollowsItsNamespace(t *testing.T) {
	s := builtinScenario(t, "tetrate-egress-gateway")
	renamed, err := s.WithNamespaceSuffix("abcd1234")
	require.NoError(t, err)
	assert.Equal(t, "istio-egressgateway", renamed.EgressGateway)
	assert.Equal(t, "outbound|80|tetrate|istio-egressgateway.istio-system.svc.cluster.local", renamed.Checks[1].Expect.Cluster)

	s.EgressGateway = "egress/gw"
	s.Checks[1].Expect.Cluster = "outbound|80|tetrate|gw.egress.svc.cluster.local"
	s.Checks[1].Expect.Gateway = &contract.Expect{Cluster: "outbound|80||svc.egress.svc.cluster.local"}
	renamed, err = s.WithNamespaceSuffix("abcd1234")
	require.NoError(t, err)
	assert.Equal(t, "egress-abcd1234/gw", renamed.EgressGateway)
	assert.Equal(t, "outbound|80|tetrate|gw.egress-abcd1234.svc.cluster.local", renamed.Checks[1].Expect.Cluster)
	assert.Equal(t, "outbound|80||svc.egress-abcd1234.svc.cluster.local", renamed.Checks[1].Expect.Gateway.Cluster)
	assert.Equal(t, "outbound|80||svc.egress.svc.cluster.local", s.Checks[1].Expect.Gateway.Cluster, "the original is not changed")
}

// TestExpectedSNIFollowsItsNamespace: a DestinationRule's sni naming an
// in-cluster host is renamed with the fixtures, and so is the SNI the check
// expects, on both hops; the original scenario keeps its own.
func TestExpectedSNIFollowsItsNamespace(t *testing.T) {
	s := builtinScenario(t, "istio-doc-egress-gateway-mtls-origination")
	renamed, err := s.WithNamespaceSuffix("abcd1234")
	require.NoError(t, err)
	e := renamed.Checks[0].Expect
	assert.Equal(t, "my-nginx.mesh-external-abcd1234.svc.cluster.local", e.Upstream.TLS.SNI)
	assert.Equal(t, "my-nginx.mesh-external-abcd1234.svc.cluster.local", e.Gateway.Upstream.TLS.SNI)
	assert.Equal(t, "my-nginx.mesh-external.svc.cluster.local", s.Checks[0].Expect.Gateway.Upstream.TLS.SNI, "the original is not changed")
}
