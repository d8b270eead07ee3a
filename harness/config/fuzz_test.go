package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fuzzedVars are the variables FuzzFromEnv sets, in the order of its arguments.
var fuzzedVars = []string{"E2E_REQUIRE_CLUSTER", "E2E_UNIQUE_NAMESPACES", "E2E_CONSECUTIVE", "E2E_CHECK_TIMEOUT",
	"E2E_EXTERNAL", "E2E_KEEP", "E2E_ISTIO_VERSION", "E2E_KIND_CLUSTER", "E2E_PRELOAD_IMAGES"}

// FuzzFromEnv feeds arbitrary values to every parsed variable: the result is
// a usable configuration or one line naming a variable and its value.
// The seed corpus is in testdata/fuzz/FuzzFromEnv.
func FuzzFromEnv(f *testing.F) {
	f.Fuzz(func(t *testing.T, require1, unique, consecutive, timeout, external, keep, version, kindCluster, preload string) {
		values := []string{require1, unique, consecutive, timeout, external, keep, version, kindCluster, preload}
		c, err := FromEnv(func(name string) string {
			for i, v := range fuzzedVars {
				if v == name {
					return values[i]
				}
			}
			return ""
		})
		if err != nil {
			msg := err.Error()
			assert.NotContains(t, msg, "\n", "one line")
			named := false
			for i, v := range fuzzedVars {
				named = named || strings.HasPrefix(msg, fmt.Sprintf("%s=%q: expected ", v, values[i]))
			}
			assert.True(t, named, "the error names the variable and its value: %s", msg)
			return
		}
		require.Positive(t, c.Consecutive)
		require.Positive(t, c.CheckTimeout)
		require.Contains(t, []string{ExternalHermetic, ExternalInternet}, c.External)
		require.Contains(t, []string{KeepNever, KeepAlways, KeepOnFailure}, c.Keep)
		require.Regexp(t, versionPattern, c.IstioVersion)
		require.Regexp(t, namePattern, c.KindCluster)
	})
}
