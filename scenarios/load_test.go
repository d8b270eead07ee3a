package scenarios

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/fixtures"
)

const validScenario = `name: demo
fixtures: [tetrate.yaml]
client: {namespace: tetrate}
checks:
  - name: http
    url: http://www.tetrate.io
    expect: {status: 504, timeout: 0.001s, retries: {attempts: 3, perTryTimeout: 1ms}}
`

func TestBuiltinCatalogLoads(t *testing.T) {
	entries := Builtin()
	var names []string
	for _, e := range entries {
		require.NoError(t, e.Err, e.File)
		names = append(names, e.ID)
		assert.NotEmpty(t, e.Scenario.Resolved, e.ID)
	}
	assert.Equal(t, []string{
		"istio-doc-egress-control-allow-any", "istio-doc-egress-control-httpbin", "istio-doc-egress-control-registry-only",
		"istio-doc-egress-control-service-entries", "istio-doc-egress-control-timeout", "istio-doc-egress-gateway-http-gatewayapi", "istio-doc-egress-gateway-http", "istio-doc-egress-gateway-https-gatewayapi", "istio-doc-egress-gateway-mtls-origination-gatewayapi", "istio-doc-egress-gateway-mtls-origination", "istio-doc-egress-gateway-tls-origination-gatewayapi", "istio-doc-egress-gateway-tls-origination", "istio-doc-egress-k8s-externalname-se",
		"istio-doc-egress-k8s-externalname", "istio-doc-egress-tls-origination-mtls", "istio-doc-egress-tls-origination-plain",
		"istio-doc-egress-tls-origination", "istio-doc-wildcard-egress-hosts", "istio-ref-method-redirect", "istio-task-fault-injection-abort", "istio-task-request-timeouts", "istio-task-traffic-shifting",
		"tetrate-egress-gateway-control", "tetrate-egress-gateway-exported", "tetrate-egress-gateway", "tetrate-https-egress", "tetrate-origination-control", "tetrate-other-namespace", "tetrate-registry-only"}, names)
}

func TestSeedFixtureIsVerbatim(t *testing.T) {
	// The seed document's YAML block, kept here so that an edit to the fixture
	// (a reformat, a dropped annotation) fails loudly.
	data, err := fixtures.FS.ReadFile("tetrate.yaml")
	require.NoError(t, err)
	assert.Contains(t, string(data), "    tsb.tetrate.io/trafficGroup: t1\n")
	assert.Contains(t, string(data), "      perTryTimeout: 0.001s\n")
	assert.Contains(t, string(data), "  exportTo:\n    - \".\"\n")
	// sha256 of the YAML block in ../shared/seed/send-traffic-to-external-https-host.md.
	assert.Equal(t, "4d312d69c6e588df7df96a49480c62b0d7d391b7350e687120bb73ef271f3d83", fmt.Sprintf("%x", sha256.Sum256(data)))
}

func TestParseValidScenario(t *testing.T) {
	s, err := Parse([]byte(validScenario))
	require.NoError(t, err)
	assert.Equal(t, "demo", s.Name)
	e := s.Checks[0].Expect
	assert.Equal(t, "1ms", e.Timeout.String())
	assert.Equal(t, 3, *e.Retries.Attempts)
	assert.Equal(t, "1ms", e.Retries.PerTryTimeout.String())
}

const gatewayScenario = `name: demo
fixtures: [tetrate.yaml]
egressGateway: istio-egressgateway
client: {namespace: tetrate}
checks:
  - name: http
    url: http://www.tetrate.io
    expect: {status: 504, from: gateway, gateway: {route: mesh}}
`

func TestParseGatewayScenario(t *testing.T) {
	s, err := Parse([]byte(gatewayScenario))
	require.NoError(t, err)
	ns, name, ok := s.Gateway()
	assert.Equal(t, []any{"istio-system", "istio-egressgateway", true}, []any{ns, name, ok}, "istio-system unless the scenario says otherwise")
	assert.Equal(t, "mesh", s.Checks[0].Expect.Gateway.Route)
	s, err = Parse([]byte(replace(gatewayScenario, "egressGateway: istio-egressgateway", "egressGateway: egress/gw")))
	require.NoError(t, err)
	ns, name, _ = s.Gateway()
	assert.Equal(t, []string{"egress", "gw"}, []string{ns, name})
}

func TestParseRejectsMalformedScenarios(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"empty":                     {"", "empty file"},
		"not yaml":                  {"name: [unclosed", "invalid scenario YAML"},
		"unknown field":             {validScenario + "colour: blue\n", "field colour not found"},
		"unknown nested":            {replace(validScenario, "status: 504", "staus: 504"), "field staus not found"},
		"bad duration":              {replace(validScenario, "timeout: 0.001s", "timeout: soon"), `invalid duration "soon"`},
		"zero duration":             {replace(validScenario, "timeout: 0.001s", "timeout: 0s"), `invalid duration "0s"`},
		"bad name":                  {replace(validScenario, "name: demo", "name: Demo_1"), `name: "Demo_1"`},
		"no fixtures":               {replace(validScenario, "fixtures: [tetrate.yaml]", "fixtures: []"), "fixtures: expected at least one"},
		"no namespace":              {replace(validScenario, "client: {namespace: tetrate}", "client: {}"), "client.namespace: required"},
		"bad namespace":             {replace(validScenario, "namespace: tetrate", "namespace: Tet_rate"), `client.namespace: "Tet_rate"`},
		"no checks":                 {"name: demo\nfixtures: [a.yaml]\nclient: {namespace: a}\n", "checks: expected at least one"},
		"bad url":                   {replace(validScenario, "url: http://www.tetrate.io", "url: ftp://x"), `checks[0].url: "ftp://x"`},
		"url no host":               {replace(validScenario, "url: http://www.tetrate.io", "url: /path"), `checks[0].url: "/path"`},
		"bad method":                {replace(validScenario, "url: http", "method: GET POST\n    url: http"), `checks[0].method: "GET POST": expected an HTTP method`},
		"bad header name":           {replace(validScenario, "url: http", "headers: {\"end user\": jason}\n    url: http"), `checks[0].headers: "end user": expected an HTTP header name`},
		"host header":               {replace(validScenario, "url: http", "headers: {Host: example.com}\n    url: http"), `checks[0].headers: "Host": the Host is the URL's`},
		"header value on two lines": {replace(validScenario, "url: http", "headers: {end-user: \"a\\nb\"}\n    url: http"), `checks[0].headers.end-user: expected a value on one line`},
		"location without redirect": {replace(validScenario, "status: 504", "status: 504, route: mesh, location: http://a/"), `checks[0].expect.location with route mesh`},
		"bad status":                {replace(validScenario, "status: 504", "status: 999"), "checks[0].expect.status: 999"},
		"bad from":                  {replace(validScenario, "status: 504", "status: 504, from: istio"), `checks[0].expect.from: "istio": expected one of envoy, gateway, upstream`},
		"bad route":                 {replace(validScenario, "status: 504", "status: 504, route: gateway"), `checks[0].expect.route: "gateway"`},
		"direct without answer":     {replace(validScenario, "status: 504", "route: direct, exitCode: 35"), "exitCode: 35 with route direct"},
		"bad port":                  {replace(validScenario, "status: 504", "status: 504, upstream: {port: 70000}"), "checks[0].expect.upstream.port: 70000"},
		"bad tls mode":              {replace(validScenario, "status: 504", "status: 504, upstream: {tls: {mode: mutual}}"), `upstream.tls.mode: "mutual": expected one of SIMPLE, MUTUAL, ISTIO_MUTUAL, DISABLE`},
		"bad host delay":            {replace(validScenario, "    expect: {", "    hostDelay: -5s\n    expect: {"), `invalid duration "-5s"`},
		"bad client label":          {replace(validScenario, "{namespace: tetrate}", "{namespace: tetrate, labels: {app: \"not a label\"}}"), `client.labels: "app": "not a label"`},
		"bad service account":       {replace(validScenario, "{namespace: tetrate}", "{namespace: tetrate, serviceAccount: Sleep}"), `client.serviceAccount: "Sleep"`},
		"sni without tls":           {replace(validScenario, "status: 504", "status: 504, upstream: {tls: {mode: DISABLE, sni: a}}"), "expected no SNI"},
		"negative retries":          {replace(validScenario, "attempts: 3", "attempts: -1"), "retries.attempts: -1"},
		"duplicate check":           {validScenario + "  - name: http\n    url: http://a\n", `checks[1].name: "http" is used twice`},
		"two documents":             {validScenario + "---\nname: other\n", "more than one YAML document"},
		"wrong type":                {replace(validScenario, "status: 504", "status: ok"), "cannot unmarshal"},
		"bad exit code":             {replace(validScenario, "status: 504", "exitCode: 300"), "checks[0].expect.exitCode: 300: expected a curl exit code"},
		"status and no answer":      {replace(validScenario, "status: 504", "status: 504, exitCode: 35"), "checks[0].expect: status/from with route blackhole or a non-zero exitCode"},
		"blackhole and status":      {replace(validScenario, "status: 504", "status: 504, route: blackhole"), "checks[0].expect: status/from with route blackhole"},
		"blackhole exit 0":          {replace(validScenario, "status: 504", "route: blackhole, exitCode: 0"), "checks[0].expect.exitCode: 0 with route blackhole"},
		"gateway hop, no gateway":   {replace(validScenario, "status: 504", "status: 504, gateway: {route: mesh}"), "checks[0].expect: a gateway hop (expect.gateway, or from: gateway) needs the scenario's egressGateway"},
		"from gateway, no gateway":  {replace(validScenario, "status: 504", "status: 504, from: gateway"), "needs the scenario's egressGateway"},
		"bad gateway name":          {replace(validScenario, "client:", "egressGateway: Egress_GW\nclient:"), `egressGateway: "Egress_GW": expected <name> or <namespace>/<name>`},
		"gateway behind gateway":    {replace(gatewayScenario, "route: mesh}", "route: mesh, gateway: {route: mesh}}"), "checks[0].expect.gateway.gateway: expected one gateway hop"},
		"status at the gateway":     {replace(gatewayScenario, "route: mesh}", "route: mesh, status: 200}"), "checks[0].expect.gateway: status, from and exitCode are what the client sees"},
		"bad gateway field":         {replace(gatewayScenario, "route: mesh}", "route: mesh, upstream: {tls: {mode: simple}}}"), `checks[0].expect.gateway.upstream.tls.mode: "simple"`},
		"unknown gateway field":     {replace(gatewayScenario, "route: mesh}", "route: mesh, clustr: a}"), "field clustr not found"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n", "errors are one line")
		})
	}
}

func TestLoadResolvesFixturesAndNamesBrokenFiles(t *testing.T) {
	dir := fstest.MapFS{
		"a-good.yaml":       {Data: []byte(validScenario)},
		"b-local.yaml":      {Data: []byte(replace(replace(validScenario, "name: demo", "name: local"), "tetrate.yaml", "local.yaml"))},
		"local.yaml":        {Data: mustRead(t, "tetrate.yaml")},
		"c-missing.yaml":    {Data: []byte(replace(validScenario, "tetrate.yaml", "nowhere.yaml"))},
		"d-duplicate.yaml":  {Data: []byte(validScenario)},
		"e-badfixture.yaml": {Data: []byte(replace(replace(validScenario, "name: demo", "name: broken"), "tetrate.yaml", "broken.yaml"))},
		"sub/ignored.yaml":  {Data: []byte("not: a scenario")},
	}
	dir["broken.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x, namespace: ns}\nspec: {hostz: [a]}\n")}
	// broken.yaml and local.yaml are fixtures next to the scenarios: not scenarios.
	entries, err := Load(dir, "my-dir")
	require.NoError(t, err)
	byID := map[string]Entry{}
	for _, e := range entries {
		byID[e.ID] = e
	}
	require.NoError(t, byID["demo"].Err)
	require.NoError(t, byID["local"].Err)
	assert.Equal(t, "my-dir/b-local.yaml", byID["local"].File)
	assert.ErrorContains(t, byID["c-missing"].Err, `scenario my-dir/c-missing.yaml: fixtures[0]: "nowhere.yaml" not found`)
	assert.ErrorContains(t, byID["d-duplicate"].Err, `name: "demo" is already used by my-dir/a-good.yaml`)
	assert.ErrorContains(t, byID["e-badfixture"].Err, `fixture broken.yaml: document 1 (VirtualService ns/x): spec: unknown field "hostz"`)
	assert.NotContains(t, byID, "ignored", "sub-folders are not scanned")
	assert.NotContains(t, byID, "broken", "fixtures are not scenarios")
	assert.Len(t, entries, 5)
}

func TestLoadEmptyFolder(t *testing.T) {
	_, err := Load(fstest.MapFS{"readme.md": {}}, "empty")
	assert.ErrorContains(t, err, "no scenario files")
}

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvScenarios, "/does/not/exist")
	_, err := FromEnv()
	assert.ErrorContains(t, err, `E2E_SCENARIOS="/does/not/exist": expected a readable folder`)

	dir := t.TempDir()
	t.Setenv(EnvScenarios, dir)
	_, err = FromEnv()
	assert.ErrorContains(t, err, "no scenario files")
}

func replace(s, old, new string) string {
	out := ""
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return out + "REPLACE FAILED: " + old
}

func mustRead(t *testing.T, name string) []byte {
	data, err := fixtures.FS.ReadFile(name)
	require.NoError(t, err)
	return data
}

// TestFixtureKindsNoTierHonours: a Deployment in a fixture would run nowhere
// offline (the harness provides the client): a load error naming file,
// document and kind, never silently dropped.
func TestFixtureKindsNoTierHonours(t *testing.T) {
	dir := fstest.MapFS{
		"s.yaml": {Data: []byte(strings.Replace(validScenario, "fixtures: [tetrate.yaml]", "fixtures: [app.yaml]", 1))},
		"app.yaml": {Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: tetrate}
spec: {selector: {matchLabels: {app: sleep}}, template: {metadata: {labels: {app: sleep}}, spec: {containers: [{name: c, image: i}]}}}
`)},
	}
	entries, err := Load(dir, "dir")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Error(t, entries[0].Err)
	assert.Contains(t, entries[0].Err.Error(), "fixture app.yaml: document 1 (Deployment tetrate/sleep): kind Deployment: no tier can honour it")
}

// TestAbsoluteFixturePaths: a fixture named by an absolute path is read from
// there (a snapshot whose inputs live elsewhere); a relative path that
// leaves the scenario's folder is still refused, and a missing absolute one
// is named.
func TestAbsoluteFixturePaths(t *testing.T) {
	elsewhere := filepath.Join(t.TempDir(), "seed.yaml")
	require.NoError(t, os.WriteFile(elsewhere, mustRead(t, "tetrate.yaml"), 0o644))
	dir := fstest.MapFS{
		"abs.yaml":     {Data: []byte(replace(validScenario, "[tetrate.yaml]", "["+elsewhere+"]"))},
		"missing.yaml": {Data: []byte(replace(replace(validScenario, "[tetrate.yaml]", "["+elsewhere+".gone]"), "demo", "gone"))},
		"escape.yaml":  {Data: []byte(replace(replace(validScenario, "[tetrate.yaml]", "[../tetrate.yaml]"), "demo", "escape"))},
	}
	entries, err := Load(dir, "d")
	require.NoError(t, err)
	byID := map[string]Entry{}
	for _, e := range entries {
		byID[e.ID] = e
	}
	require.NoError(t, byID["demo"].Err)
	assert.Equal(t, elsewhere, byID["demo"].Scenario.Resolved[0].Name)
	assert.EqualError(t, byID["missing"].Err, fmt.Sprintf(`scenario d/missing.yaml: fixtures[0]: %q not found`, elsewhere+".gone"))
	assert.ErrorContains(t, byID["escape"].Err, `"../tetrate.yaml": expected an absolute path, or a relative one inside the scenario folder`)
}
