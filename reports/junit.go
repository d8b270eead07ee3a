package reports

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"istio-egress-conformance/harness/results"
)

// JUnit builds one suite for the tier with one test case per check, named
// <scenario>/<check>; a failure carries expected vs observed and, for the
// live tier, every attempt.
func JUnit(r results.Run) junit.Testsuites {
	suite := junit.Testsuite{Name: "egress-conformance/" + r.Tier}
	suite.SetTimestamp(r.Start)
	keys := make([]string, 0, len(r.Environment))
	for k := range r.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		suite.AddProperty(k, r.Environment[k])
	}
	for _, res := range r.Results {
		tc := junit.Testcase{Name: res.Name(), Classname: "egress-conformance." + r.Tier + "." + res.Scenario, Time: seconds(res)}
		if len(res.Analysis) > 0 {
			tc.SystemOut = &junit.Output{Data: "istio analyzers:\n" + strings.Join(res.Analysis, "\n")}
		}
		switch {
		case res.Skipped:
			tc.Skipped = &junit.Result{Message: strings.Join(res.Failures, "; ")}
		case !res.Passed:
			tc.Failure = &junit.Result{Message: failureMessage(res), Type: "ExpectationFailed", Data: failureDetail(r.Tier, res)}
		}
		suite.AddTestcase(tc)
	}
	var out junit.Testsuites
	out.AddSuite(suite)
	return out
}

// WriteJUnit writes the JUnit XML to path atomically.
func WriteJUnit(path string, r results.Run) error {
	var b bytes.Buffer
	suites := JUnit(r)
	if err := suites.WriteXML(&b); err != nil {
		return fmt.Errorf("reports: junit: %v", err)
	}
	return writeAtomic(path, b.Bytes())
}

func seconds(res results.CheckResult) string {
	return fmt.Sprintf("%.3f", res.Duration.Seconds())
}

func failureMessage(res results.CheckResult) string {
	if len(res.Failures) == 0 {
		return "failed"
	}
	return res.Failures[0]
}

// failureDetail is the failure text; tier names whose prediction it shows
// (the offline translation's, or the config the control-plane tier's istiod served).
func failureDetail(tier string, res results.CheckResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s, check %s (%s)\n", res.Scenario, res.Check, res.URL)
	for _, f := range res.Failures {
		b.WriteString(f + "\n")
	}
	if tier == results.TierLive {
		tier = results.TierOffline // the live tier's own reading of a proxy is the sidecar's
	}
	for _, p := range []struct {
		name string
		p    *results.Prediction
	}{{tier, res.Prediction}, {"sidecar", res.Sidecar}} {
		if p.p != nil {
			fmt.Fprintf(&b, "%s prediction: route %s, cluster %s, upstream %s:%d, tls %s sni %q, timeout %s\n",
				p.name, p.p.Route, p.p.Cluster, p.p.UpstreamHost, p.p.UpstreamPort, p.p.TLSMode, p.p.SNI, p.p.Timeout)
		}
	}
	if l := res.Live; l != nil {
		b.WriteString("attempts:\n" + l.Convergence.String() + "\n")
	}
	return b.String()
}
