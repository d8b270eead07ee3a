package snapshot

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"istio.io/istio/pkg/config/host"

	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

// snapshotOf takes the snapshot of a catalog scenario's fixtures for its client.
func snapshotOf(s scenarios.Scenario) (Snapshot, error) {
	return Take(Inputs{Dir: "fixtures", Files: s.Resolved}, optionsOf(s))
}

// optionsOf are the command's options that give a catalog scenario's client.
func optionsOf(s scenarios.Scenario) Options {
	return Options{Namespace: s.Client.Namespace, Labels: s.Client.Labels, ServiceAccount: s.Client.ServiceAccount,
		EgressGateway: s.EgressGateway, Suppress: s.SuppressAnalysis}
}

// TestSnapshotReproducesTheCatalog takes the snapshot of every catalog
// scenario's fixtures and finds, for each catalog check, the snapshot's check
// of the same URL (without its path), or, for a host no object declares, the
// snapshot's undeclared host of its scheme. Where the catalog's request
// differs (a method, a path, headers), the two are compared only when the
// offline translation predicts the same for both. The snapshot must write
// every field the catalog asserts among those a snapshot writes, with the
// same value. The catalog's fields come from Istio's docs and tests, so this
// holds the snapshot's expectations to them.
func TestSnapshotReproducesTheCatalog(t *testing.T) {
	var compared, fields int
	for _, e := range scenarios.Builtin() {
		require.NoError(t, e.Err)
		s := e.Scenario
		snap, err := snapshotOf(s)
		require.NoError(t, err, s.Name)
		predictions, err := offline.Predict(s)
		require.NoError(t, err, s.Name)
		byURL := map[string]int{}
		for i, c := range snap.Scenario.Checks {
			byURL[c.URL] = i
		}
		declared := declaredHosts(s.Objects())
		for k, c := range s.Checks {
			u, err := url.Parse(c.URL)
			require.NoError(t, err)
			i, ok := byURL[normalised(u, u.Hostname())]
			for _, h := range slices.Sorted(maps.Keys(declared)) {
				if !ok && host.Name(u.Hostname()).Matches(host.Name(h)) {
					i, ok = byURL[normalised(u, concrete(h))] // a wildcard's
				}
			}
			if !ok && !covered(u.Hostname(), declared) {
				i, ok = byURL[u.Scheme+"://"+UndeclaredHost]
			}
			same := c.RequestMethod() == contract.DefaultMethod && len(c.Headers) == 0 && strings.Trim(u.Path, "/") == ""
			if ok && !same {
				ok = len(results.Disagreements("catalog", predictions[k], "snapshot", snap.Predictions[i])) == 0
			}
			if !ok {
				t.Logf("%s/%s: %s %s: no snapshot check makes this request, or one predicted the same", s.Name, c.Name, c.RequestMethod(), c.URL)
				continue
			}
			compared++
			fields += assertAsserted(t, s.Name+"/"+c.Name, c.Expect, snap.Scenario.Checks[i].Expect, snap.Predictions[i])
		}
	}
	t.Logf("%d catalog checks compared, %d fields", compared, fields)
	assert.Greater(t, compared, 30, "most catalog checks are requests a snapshot makes")
}

// assertAsserted asserts that got holds every field of want that a snapshot
// writes, with want's value; on a weighted route, the catalog's cluster may
// be any with a non-zero weight, as the contract has it. It returns how
// many fields it compared.
func assertAsserted(t *testing.T, name string, want, got contract.Expect, p results.Prediction) int {
	t.Helper()
	w, g := flatten(want), flatten(got)
	n := 0
	for field, value := range w {
		if !snapshotWrites(field, got) {
			continue
		}
		n++
		if field == "cluster" && slices.ContainsFunc(p.Weighted, func(c results.WeightedCluster) bool { return c.Cluster == value && c.Weight > 0 }) {
			continue
		}
		assert.Equal(t, value, g[field], "%s: %s", name, field)
	}
	return n
}

// snapshotWrites tells whether a snapshot writes the field: every field of
// the mechanism; the answer (status, from, exitCode) only where the config
// decides it, which is when it wrote a status or exit code.
func snapshotWrites(field string, got contract.Expect) bool {
	switch field {
	case "status", "from", "exitCode":
		return got.Status != 0 || got.ExitCode != nil
	}
	return true
}

// normalised is the URL as a snapshot writes it: no default port, no path.
func normalised(u *url.URL, hostname string) string {
	port := defaultPort(u.Scheme)
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	return target{Scheme: u.Scheme, Host: hostname, Port: port}.URL()
}
