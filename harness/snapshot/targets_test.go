package snapshot

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/fixture"
)

// objectsOf parses a fixture file's text.
func objectsOf(t *testing.T, text string) []fixture.Object {
	t.Helper()
	f, err := fixture.Parse("t.yaml", []byte(text))
	require.NoError(t, err)
	return f.Objects
}

// urls are the targets' URLs and names.
func urls(ts []target) (out []string) {
	for _, t := range ts {
		out = append(out, t.Name()+" "+t.URL())
	}
	return out
}

const serviceEntry = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se, namespace: ns}
spec:
  hosts: %s
  ports: [{number: 80, name: http, protocol: HTTP}, {number: 8443, name: tls, protocol: TLS}, {number: 27017, name: mongo, protocol: MONGO}]
  resolution: NONE
`

// TestTargetsPerHostAndPort: a ServiceEntry's HTTP and TLS ports (not its
// MongoDB one), a wildcard host through wildcardLabel, a mesh HTTPRoute
// parented to a Service (its host, on the parent's port, not its
// hostnames), then the undeclared host.
func TestTargetsPerHostAndPort(t *testing.T) {
	objs := objectsOf(t, fmt.Sprintf(serviceEntry, "['*.example.com']")+`---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  hostnames: [ignored.example.org]
  parentRefs: [{kind: Service, group: "", name: reviews, port: 9080}]
  rules: [{backendRefs: [{name: reviews, port: 9080}]}]
`)
	ts, err := targets(objs)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"http-reviews-ns-svc-cluster-local-9080 http://reviews.ns.svc.cluster.local:9080",
		"http-snapshot-example-com http://snapshot.example.com",
		"https-snapshot-example-com-8443 https://snapshot.example.com:8443",
		"http-undeclared-host http://undeclared.snapshot.invalid",
		"https-undeclared-host https://undeclared.snapshot.invalid",
	}, urls(ts))
}

// TestUndeclaredHostAvoidsWildcards: a wildcard over .invalid moves the
// undeclared host to .test; wildcards over all three reserved domains are
// an error, not an endless search.
func TestUndeclaredHostAvoidsWildcards(t *testing.T) {
	ts, err := targets(objectsOf(t, fmt.Sprintf(serviceEntry, "['*.invalid']")))
	require.NoError(t, err)
	assert.Equal(t, "https://undeclared.snapshot.test", ts[len(ts)-1].URL())
	_, err = targets(objectsOf(t, fmt.Sprintf(serviceEntry, "['*.invalid', '*.test', '*.example']")))
	assert.ErrorContains(t, err, "no host is left undeclared")
}

// TestCheckNamesStayUnique: hosts whose names fold to the same check name
// (a-b.com and a.b.com) get -2, not a validation error blamed on options.
func TestCheckNamesStayUnique(t *testing.T) {
	in := Inputs{Dir: ".", Files: []fixture.File{{Name: "t.yaml", Objects: objectsOf(t, fmt.Sprintf(serviceEntry, "[a-b.com, a.b.com]"))}}}
	snap, err := Take(in, Options{Namespace: "ns"})
	require.NoError(t, err)
	var names []string
	for _, c := range snap.Scenario.Checks {
		names = append(names, c.Name+" "+c.URL)
	}
	assert.Contains(t, names, "http-a-b-com http://a-b.com")
	assert.Contains(t, names, "http-a-b-com-2 http://a.b.com")
}
