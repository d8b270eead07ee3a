package verdict

import (
	"maps"
	"sync"
	"testing"
	"time"

	"istio-egress-conformance/harness/results"
)

// Recorder collects a tier's report entries. An entry made with Check is
// taken from its test's own outcome, as Gateway API's conformance suite takes
// its report from `succeeded := t.Run(...)`: a check that fails `go test`
// fails in the JUnit, the YAML report and the summary, whatever failed it.
type Recorder struct {
	mu  sync.Mutex
	run results.Run
	// analysis is each scenario's analyzer messages.
	analysis map[string][]string
}

// NewRecorder starts the run of a tier, described by environment.
func NewRecorder(tier string, environment map[string]string) *Recorder {
	return &Recorder{run: results.Run{Tier: tier, Start: time.Now(), Environment: environment}}
}

// Run is a copy of what was recorded so far, for the reports.
func (r *Recorder) Run() results.Run {
	r.mu.Lock()
	defer r.mu.Unlock()
	run := r.run
	run.Environment = maps.Clone(r.run.Environment)
	run.Results = append([]results.CheckResult(nil), r.run.Results...)
	return run
}

// SetEnvironment sets one of the run's environment entries.
func (r *Recorder) SetEnvironment(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.run.Environment == nil {
		r.run.Environment = map[string]string{}
	}
	r.run.Environment[key] = value
}

// DeleteEnvironment removes an environment entry that does not apply.
func (r *Recorder) DeleteEnvironment(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.run.Environment, key)
}

// Failed tells whether any recorded entry failed.
func (r *Recorder) Failed() bool {
	return r.Run().Counts().Failed > 0
}

// Record adds an entry decided outside any test of its own; Check, Fail and
// Skipped are the ways of the tiers, this is for tests of what reads the entries.
func (r *Recorder) Record(res results.CheckResult) { r.add(res) }

func (r *Recorder) add(res results.CheckResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.Analysis == nil {
		res.Analysis = r.analysis[res.Scenario]
	}
	r.run.Results = append(r.run.Results, res)
}

// Analysis records what Istio's analyzers say of a scenario's fixtures:
// every entry of the scenario carries it into the reports.
func (r *Recorder) Analysis(scenario string, lines []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.analysis == nil {
		r.analysis = map[string][]string{}
	}
	r.analysis[scenario] = lines
}

// Check runs body as the check whose test is t (a subtest of its own, or an
// e2e-framework assessment) and records its entry when t's body ends, on every
// path: a verdict, a Fatal, a require, a skip. The entry passes only if t did
// not fail, so nothing fails t without failing its entry.
func (r *Recorder) Check(t *testing.T, entry results.CheckResult, body func(c *Check)) {
	c := &Check{t: t, entry: entry}
	defer func() { r.add(c.outcome()) }()
	body(c)
}

// RunCheck is Check in a new subtest named name; it returns the subtest's outcome.
func (r *Recorder) RunCheck(t *testing.T, name string, entry results.CheckResult, body func(c *Check)) bool {
	return t.Run(name, func(t *testing.T) { r.Check(t, entry, body) })
}

// Fail records a failed entry for a step that is not a check of its own (a
// scenario that did not load, a setup or teardown) and fails t with line.
func (r *Recorder) Fail(t testing.TB, entry results.CheckResult, line string) {
	t.Helper()
	t.Error(line)
	entry.Passed, entry.Failures = false, append(entry.Failures, line)
	r.add(entry)
}

// Skipped records a skipped entry with the line that says why, for a check
// that gets no test of its own.
func (r *Recorder) Skipped(entry results.CheckResult, line string) {
	entry.Skipped, entry.Failures = true, []string{line}
	r.add(entry)
}

// Check is one check's entry while its test runs.
type Check struct {
	t     *testing.T
	entry results.CheckResult
}

// T is the check's test.
func (c *Check) T() *testing.T { return c.t }

// Judge takes res as the check's verdict (Of) and fails the test with each
// of its failures.
func (c *Check) Judge(res results.CheckResult) {
	c.t.Helper()
	c.entry = res
	for _, f := range res.Failures {
		c.t.Error(f)
	}
}

// Fatal fails the check with line and ends its test.
func (c *Check) Fatal(line string) {
	c.t.Helper()
	c.entry.Failures = append(c.entry.Failures, line)
	c.t.Fatal(line)
}

// Skip ends the check's test as skipped, line saying why.
func (c *Check) Skip(line string) {
	c.t.Helper()
	c.entry.Failures = []string{line}
	c.t.Skip(line)
}

// UnexplainedFailure is the failure line of a check whose test failed without
// saying why through its Check (a require on an unexpected error, say).
const UnexplainedFailure = "the check's test failed: see its go test log"

// outcome is the entry as t ended: passed only when t did not fail.
func (c *Check) outcome() results.CheckResult {
	e := c.entry
	e.Skipped = c.t.Skipped() && !c.t.Failed()
	e.Passed = !c.t.Failed() && !e.Skipped
	if c.t.Failed() && len(e.Failures) == 0 {
		e.Failures = []string{UnexplainedFailure}
	}
	return e
}
