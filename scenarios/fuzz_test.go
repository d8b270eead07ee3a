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
