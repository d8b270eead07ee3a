package contract

import (
	"encoding/json"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a YAML duration in Go syntax ("1ms") or Istio's ("0.001s").
type Duration struct {
	time.Duration
}

// UnmarshalYAML parses a duration scalar and rejects anything else with its line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	parsed, err := ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("line %d: invalid duration %q: expected a positive duration such as 1ms, 0.001s or 10s", n.Line, n.Value)
	}
	d.Duration = parsed
	return nil
}

// ParseDuration parses a positive duration; Go's syntax covers Istio's "0.001s" form.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q is not positive", s)
	}
	return d, nil
}

// MarshalYAML writes the duration as Go prints it (1ms, 3s), which
// UnmarshalYAML reads back.
func (d Duration) MarshalYAML() (any, error) {
	return d.Duration.String(), nil
}

// MarshalJSON writes the duration as Go prints it, for reports.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.Duration.String() + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: expected a string such as \"1ms\": %v", err)
	}
	parsed, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %v", err)
	}
	d.Duration = parsed
	return nil
}

// String prints the duration the way Go does (1ms, 10s).
func (d *Duration) String() string {
	if d == nil {
		return "none"
	}
	return d.Duration.String()
}
