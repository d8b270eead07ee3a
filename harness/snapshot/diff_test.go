package snapshot

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/fixtures"
	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios"
)

// seedSnapshot is the snapshot of the seed fixture, edited by replacing old
// with new in its text first.
func seedSnapshot(t *testing.T, old, new string) Snapshot {
	t.Helper()
	data, err := fixtures.FS.ReadFile("tetrate.yaml")
	require.NoError(t, err)
	text := string(data)
	require.Contains(t, text, old)
	f, err := fixture.Parse("tetrate.yaml", []byte(strings.Replace(text, old, new, 1)))
	require.NoError(t, err)
	snap, err := Take(Inputs{Dir: ".", Files: []fixture.File{f}}, Options{Namespace: "tetrate"})
	require.NoError(t, err)
	return snap
}

// saved is the snapshot as written and read back from its file.
func saved(t *testing.T, s Snapshot) scenarios.Scenario {
	t.Helper()
	out, err := s.Render()
	require.NoError(t, err)
	parsed, err := scenarios.Parse(out)
	require.NoError(t, err)
	return parsed
}

// TestDiffNamesExactlyTheChangedFields changes one field of the seed's
// objects at a time and expects the diff to name that field alone, with the
// object behind it; an unchanged input gives no line.
func TestDiffNamesExactlyTheChangedFields(t *testing.T) {
	before := saved(t, seedSnapshot(t, "", ""))
	assert.Empty(t, Diff(before, seedSnapshot(t, "", "")), "unchanged input")

	cases := []struct{ old, new, want string }{
		// The route timeout only: the per-try timeout (1ms) still fires first, so the 504 stays.
		{"timeout: 0.001s\n", "timeout: 3s\n", "http://www.tetrate.io: timeout 1ms → 3s (VirtualService tetrate/tetrate)"},
		{"sni: tetrate.io", "sni: www.tetrate.io", "http://www.tetrate.io: upstream.tls.sni tetrate.io → www.tetrate.io (DestinationRule tetrate/tetrate)"},
		{"attempts: 3", "attempts: 5", "http://www.tetrate.io: retries.attempts 3 → 5 (VirtualService tetrate/tetrate)"},
	}
	for _, c := range cases {
		var lines []string
		for _, ch := range Diff(before, seedSnapshot(t, c.old, c.new)) {
			lines = append(lines, ch.String())
		}
		assert.Equal(t, []string{c.want}, lines, "%q → %q", c.old, c.new)
	}
}

// TestDiffOfANewAndAGoneCheck: a port added to the ServiceEntry is a new
// check; the saved file's check for a URL no longer made is gone.
func TestDiffOfANewAndAGoneCheck(t *testing.T) {
	before := saved(t, seedSnapshot(t, "", ""))
	before.Checks[0].URL = "http://old.example.com"
	var lines []string
	for _, ch := range Diff(before, seedSnapshot(t, "", "")) {
		lines = append(lines, ch.String())
	}
	assert.Equal(t, []string{
		"http://www.tetrate.io: new check http-www-tetrate-io (VirtualService tetrate/tetrate, DestinationRule tetrate/tetrate, ServiceEntry tetrate/tetrate)",
		"http://old.example.com: check http-www-tetrate-io is gone",
	}, lines)
}

// TestDiffMatchesRequestsNotStrings: a saved URL with its default port
// written out is the same request; a second saved check of the same request
// (a hand edit) is reported gone rather than ignored.
func TestDiffMatchesRequestsNotStrings(t *testing.T) {
	before := saved(t, seedSnapshot(t, "", ""))
	before.Checks[0].URL = "http://www.tetrate.io:80/"
	dup := before.Checks[0]
	dup.Name = "copy"
	before.Checks = append(before.Checks, dup)
	var lines []string
	for _, ch := range Diff(before, seedSnapshot(t, "", "")) {
		lines = append(lines, ch.String())
	}
	assert.Equal(t, []string{"http://www.tetrate.io:80/: check copy is gone"}, lines)
}
