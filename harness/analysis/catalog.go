package analysis

import (
	"fmt"

	"istio-egress-conformance/scenarios"
)

// Accepted analyzes the scenario: its analyzer errors as one error, or its
// warnings and infos, one line each.
func Accepted(s scenarios.Scenario) ([]string, error) {
	msgs, err := Of(s)
	if err == nil {
		err = Errors(msgs)
	}
	if err != nil {
		return nil, err
	}
	return Lines(msgs), nil
}

// Catalog is the catalog every tier runs (scenarios.FromEnv), each loaded
// scenario analyzed: an analyzer error fails the scenario's load with its
// message, as a broken scenario file does; warnings and infos go to
// Scenario.Analysis, for the reports.
func Catalog() ([]scenarios.Entry, error) {
	entries, err := scenarios.FromEnv()
	if err != nil {
		return nil, err
	}
	for i := range entries {
		e := &entries[i]
		if e.Err != nil {
			continue
		}
		lines, err := Accepted(e.Scenario)
		if err != nil {
			e.Err = fmt.Errorf("scenario %s: %v", e.File, err)
			continue
		}
		e.Scenario.Analysis = lines
	}
	return entries, nil
}
