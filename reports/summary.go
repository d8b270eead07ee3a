package reports

import (
	"fmt"
	"strings"
	"time"

	"istio-egress-conformance/harness/results"
)

// Summary is a short Markdown table of checks for a CI job summary.
func Summary(r results.Run) string {
	c := r.Counts()
	var b strings.Builder
	fmt.Fprintf(&b, "### Egress conformance (%s): %s\n\n", r.Tier, r.Outcome())
	fmt.Fprintf(&b, "%d passed, %d failed, %d skipped\n\n", c.Passed, c.Failed, c.Skipped)
	b.WriteString("| scenario | check | result | duration | detail |\n| --- | --- | --- | --- | --- |\n")
	for _, res := range r.Results {
		detail := ""
		if len(res.Failures) > 0 {
			detail = res.Failures[0]
			if len(res.Failures) > 1 {
				detail += fmt.Sprintf(" (+%d more)", len(res.Failures)-1)
			}
		}
		icon := map[string]string{"passed": "✅ pass", "failed": "❌ fail", "skipped": "⏭ skip"}[verdict(res)]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", res.Scenario, res.Check, icon, res.Duration.Round(time.Millisecond), escapeCell(detail))
	}
	return b.String()
}

// WriteSummary writes the Markdown summary to path atomically.
func WriteSummary(path string, r results.Run) error {
	return writeAtomic(path, []byte(Summary(r)))
}

func escapeCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// WriteAll writes junit-<tier>.xml, conformance-report-<tier>.yaml and
// summary-<tier>.md into dir.
func WriteAll(dir string, r results.Run) error {
	if err := WriteJUnit(fmt.Sprintf("%s/junit-%s.xml", dir, r.Tier), r); err != nil {
		return err
	}
	if err := WriteConformanceReport(fmt.Sprintf("%s/conformance-report-%s.yaml", dir, r.Tier), r); err != nil {
		return err
	}
	return WriteSummary(fmt.Sprintf("%s/summary-%s.md", dir, r.Tier), r)
}
