package snapshot

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/fixtures"
)

// runSnapshot runs the command and returns its exit status, stdout and stderr.
func runSnapshot(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Command(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// seedDir is a folder holding a copy of the seed fixture.
func seedDir(t *testing.T) string {
	dir := t.TempDir()
	data, err := fixtures.FS.ReadFile("tetrate.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tetrate.yaml"), data, 0o644))
	return dir
}

// TestSnapshotThenDiff is the command's round trip: write the snapshot
// beside its input; --diff on the same input exits 0 with no line; after a
// change it prints the changed field and exits 1.
func TestSnapshotThenDiff(t *testing.T) {
	dir := seedDir(t)
	code, out, errOut := runSnapshot("--namespace", "tetrate", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "fixtures:\n  - tetrate.yaml\n")
	file := filepath.Join(dir, "snapshot.yaml")
	require.NoError(t, os.WriteFile(file, []byte(out), 0o644))

	code, out, errOut = runSnapshot("--namespace", "tetrate", "--diff", file, dir)
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "no change")

	seed := filepath.Join(dir, "tetrate.yaml")
	data, err := os.ReadFile(seed)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(seed, []byte(strings.Replace(string(data), "sni: tetrate.io", "sni: www.tetrate.io", 1)), 0o644))
	code, out, _ = runSnapshot("--namespace", "tetrate", "--diff", file, dir)
	assert.Equal(t, ExitChanged, code)
	assert.Equal(t, "http://www.tetrate.io: upstream.tls.sni tetrate.io → www.tetrate.io (DestinationRule tetrate/tetrate)\n", out)
}

// TestBadInputGetsOneLine: every way the command is misused ends with exit
// 2 and one line naming what was wrong.
func TestBadInputGetsOneLine(t *testing.T) {
	dir := seedDir(t)
	unknown := filepath.Join(t.TempDir(), "deploy.yaml")
	require.NoError(t, os.WriteFile(unknown, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: ns1}\n"), 0o644))
	private := filepath.Join(t.TempDir(), "private.yaml")
	require.NoError(t, os.WriteFile(private, []byte("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: api, namespace: payments}\n"+
		"spec: {hosts: [api.example.com], exportTo: [.], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}\n"), 0o644))
	shifting := filepath.Join(t.TempDir(), "task-traffic-shifting.yaml")
	data, err := fixtures.FS.ReadFile("task-traffic-shifting.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(shifting, data, 0o644))
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	require.NoError(t, os.WriteFile(broken, []byte("name: [unclosed\n"), 0o644))
	cases := map[string]struct {
		args []string
		want string
	}{
		"no namespace":        {[]string{dir}, "--namespace: required"},
		"bad labels":          {[]string{"--namespace", "tetrate", "--labels", "app", dir}, `--labels: "app": expected key=value`},
		"no path":             {[]string{"--namespace", "tetrate"}, "no PATH"},
		"missing path":        {[]string{"--namespace", "tetrate", "/nonexistent/x.yaml"}, "/nonexistent/x.yaml: expected a fixture file"},
		"unknown kind":        {[]string{"--namespace", "ns1", unknown}, "kind Deployment: no tier can honour it"},
		"namespace unreached": {[]string{"--namespace", "elsewhere", private}, "namespace elsewhere: no object reaches it"},
		"bad namespace":       {[]string{"--namespace", "Not_A_Namespace", dir}, `namespace "Not_A_Namespace": expected a namespace name`},
		"bad gateway":         {[]string{"--namespace", "tetrate", "--egress-gateway", "a/b/c", dir}, "egressGateway"},
		"unreadable diff":     {[]string{"--namespace", "tetrate", "--diff", "/nonexistent.yaml", dir}, "--diff /nonexistent.yaml"},
		"analyzer error":      {[]string{"--namespace", "istio-task-traffic-shifting", shifting}, "istio analyzers: Error [IST0173] (DestinationRule istio-task-traffic-shifting/httpbin-ext task-traffic-shifting.yaml:29)"},
		"malformed diff":      {[]string{"--namespace", "tetrate", "--diff", broken, dir}, "--diff " + broken + ": invalid scenario YAML"},
	}
	for name, c := range cases {
		code, out, errOut := runSnapshot(c.args...)
		assert.Equal(t, ExitError, code, name)
		assert.Empty(t, out, name)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "%s: one line: %q", name, errOut)
		assert.Contains(t, errOut, c.want, name)
	}
}

// TestUnknownFlagPrintsTheUsage: the flag package names the flag and prints
// the usage; the exit status is still 2.
func TestUnknownFlagPrintsTheUsage(t *testing.T) {
	code, out, errOut := runSnapshot("--namespace", "tetrate", "--bogus", "x")
	assert.Equal(t, ExitError, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "flag provided but not defined: -bogus")
	assert.Contains(t, errOut, "usage: snapshot --namespace NS")
}
