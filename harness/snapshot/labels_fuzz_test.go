package snapshot

import (
	"strings"
	"testing"
)

// FuzzParseLabels: --labels either parses into pairs that print back to
// what was given, or fails with one line naming the flag.
func FuzzParseLabels(f *testing.F) {
	for _, seed := range []string{"", "app=sleep", "a=b,c=d", "a", "=b", "a=b,,c=d", "a==b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		labels, err := parseLabels(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--labels: ") || strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("error %q: expected one line naming --labels", err)
			}
			return
		}
		for k, v := range labels {
			if k == "" || !strings.Contains(s, k+"="+v) {
				t.Fatalf("%q parsed to %q=%q", s, k, v)
			}
		}
	})
}
