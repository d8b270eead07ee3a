package contract

import (
	"testing"

	"github.com/stretchr/testify/require"
)

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
