package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse: see the seed corpus in testdata/fuzz/FuzzParse; the repository's own files are added to it.
func FuzzParse(f *testing.F) {
	for _, e := range Builtin() {
		data, err := builtin.ReadFile(strings.TrimPrefix(e.File, "scenarios/"))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(validScenario))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		// Whatever parses must satisfy the contract's invariants.
		require.NoError(t, s.Validate())
		require.NotEmpty(t, s.Checks)
		require.NotEmpty(t, s.Fixtures)
	})
}

// FuzzParseDuration: a parsed duration is positive and prints back to itself.
// The seed corpus is in testdata/fuzz/FuzzParseDuration.
func FuzzParseDuration(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		require.Positive(t, d)
		again, err := ParseDuration(d.String())
		require.NoError(t, err)
		require.Equal(t, d, again)
	})
}
