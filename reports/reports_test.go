package reports

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"istio-egress-conformance/harness/curl"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios/contract"
)

// capturedCurl parses output the local curl printed (harness/curl/testdata).
func capturedCurl(t *testing.T, name string) curl.Result {
	out, err := os.ReadFile(filepath.Join("..", "harness", "curl", "testdata", name+".out"))
	require.NoError(t, err)
	r, err := curl.Parse(out)
	require.NoError(t, err)
	return r
}

func liveRun(t *testing.T) results.Run {
	ok := capturedCurl(t, "http-504-envoy")
	wrong := capturedCurl(t, "http-200")
	seed504 := contract.Expect{Status: 504, From: contract.FromEnvoy}
	passed := results.Convergence{Passed: true, Elapsed: 2 * time.Second, Attempts: []results.Attempt{
		{N: 1, Observation: ok.String()}, {N: 2, At: time.Second, Observation: ok.String()}, {N: 3, At: 2 * time.Second, Observation: ok.String()}}}
	failed := results.Convergence{Reason: "no 3 consecutive matching answers within 2s", Elapsed: 2 * time.Second, Attempts: []results.Attempt{
		{N: 1, Observation: wrong.String(), Mismatches: curl.Judge(seed504, wrong)},
		{N: 2, At: time.Second, Error: "exec: container not found"}}}
	return results.Run{
		Tier:        results.TierLive,
		Start:       time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC),
		Environment: map[string]string{"istioVersion": "1.32.0", "kubernetesVersion": "v1.37.0", "external": "hermetic", "runID": "abcd1234"},
		Results: []results.CheckResult{
			{Scenario: "tetrate-https-egress", Check: "http-origination-timeout", URL: "http://www.tetrate.io", Expect: seed504,
				Passed: true, Duration: 2 * time.Second, Live: &results.LiveObservation{Last: ok.Answer(), Convergence: passed}},
			{Scenario: "tetrate-other-namespace", Check: "http-without-origination", URL: "http://www.tetrate.io", Expect: seed504,
				Failures: []string{"scenario tetrate-other-namespace, check http-without-origination: " + failed.String()},
				Duration: 2 * time.Second, Live: &results.LiveObservation{Last: wrong.Answer(), Convergence: failed}},
			{Scenario: "tetrate-origination-control", Check: "http-origination-succeeds", Skipped: true, Failures: []string{"skipped by label external=hermetic"}},
		},
	}
}

func TestOutcome(t *testing.T) {
	r := liveRun(t)
	assert.Equal(t, results.Counts{Passed: 1, Failed: 1, Skipped: 1}, r.Counts())
	assert.Equal(t, "partial", r.Outcome())
	r.Results = r.Results[:1]
	assert.Equal(t, "success", r.Outcome())
	r.Results = nil
	assert.Equal(t, "failure", r.Outcome(), "a run that checked nothing did not succeed")
}

func TestWriteAllLiveRun(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteAll(dir, liveRun(t)))

	data, err := os.ReadFile(filepath.Join(dir, "junit-live.xml"))
	require.NoError(t, err)
	var suites junit.Testsuites
	require.NoError(t, xml.Unmarshal(data, &suites))
	require.Len(t, suites.Suites, 1)
	s := suites.Suites[0]
	assert.Equal(t, 3, s.Tests)
	assert.Equal(t, 1, s.Failures)
	assert.Equal(t, 1, s.Skipped)
	props := map[string]string{}
	for _, p := range *s.Properties {
		props[p.Name] = p.Value
	}
	assert.Equal(t, "1.32.0", props["istioVersion"])
	assert.Equal(t, "abcd1234", props["runID"])
	assert.Equal(t, "tetrate-https-egress/http-origination-timeout", s.Testcases[0].Name)
	assert.Nil(t, s.Testcases[0].Failure)
	f := s.Testcases[1].Failure
	require.NotNil(t, f)
	assert.Contains(t, f.Data, "status: expected 504, observed 200")
	assert.Contains(t, f.Data, "#1 at 0s")
	assert.Contains(t, f.Data, "#2 at 1s (0s): error: exec: container not found", "every attempt is in the failure")
	assert.NotNil(t, s.Testcases[2].Skipped)

	data, err = os.ReadFile(filepath.Join(dir, "conformance-report-live.yaml"))
	require.NoError(t, err)
	var rep ConformanceReport
	require.NoError(t, yaml.UnmarshalStrict(data, &rep))
	assert.Equal(t, "partial", rep.Result)
	assert.Equal(t, "2026-11-25T22:00:00Z", rep.Date)
	assert.Equal(t, []string{"tetrate-other-namespace/http-without-origination"}, rep.FailedTests)
	obs := rep.Checks[0].Observation
	require.NotNil(t, obs)
	assert.Equal(t, 504, obs.Status)
	assert.Equal(t, "envoy", obs.From)
	assert.Equal(t, 0, obs.CurlExitCode)
	assert.Len(t, obs.Attempts, 3)
	assert.Equal(t, 504, rep.Checks[0].Expectation.Status)
	assert.Equal(t, "upstream", rep.Checks[1].Observation.From)

	summary, err := os.ReadFile(filepath.Join(dir, "summary-live.md"))
	require.NoError(t, err)
	assert.Contains(t, string(summary), "### Egress conformance (live): partial")
	assert.Contains(t, string(summary), "| tetrate-https-egress | http-origination-timeout | ✅ pass | 2s |")
	assert.Contains(t, string(summary), "| tetrate-other-namespace | http-without-origination | ❌ fail | 2s |")
	assert.Equal(t, 2+3, strings.Count(string(summary), "\n|"), "header, separator, one row per check")

	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	assert.Empty(t, leftovers, "no temporary files are left behind")
}

func TestWriteAtomicReplacesWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "r.txt")
	require.NoError(t, writeAtomic(path, []byte("first, longer content")))
	require.NoError(t, writeAtomic(path, []byte("second")))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "second", string(data))
	assert.Error(t, writeAtomic(filepath.Join(path, "under-a-file"), []byte("x")))
}
