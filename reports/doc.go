// Package reports turns a run's check results (package results) into what
// dashboards and people read: JUnit (one test case per check), a conformance
// report (YAML, in the spirit of Gateway API's ConformanceReport) and a
// Markdown summary. Files are written atomically under $ARTIFACTS.
package reports
