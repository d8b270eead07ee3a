// Package conformance holds the module's own go.mod, so that reports name the
// exact dependency versions the harness runs (a test binary carries no
// dependency build info: runtime/debug.ReadBuildInfo lists none there).
package conformance

import (
	_ "embed"

	"golang.org/x/mod/modfile"
)

//go:embed go.mod
var goMod []byte

// PinnedVersion is the version go.mod requires of the module at path, or ""
// when it requires none.
func PinnedVersion(path string) string {
	f, err := modfile.ParseLax("go.mod", goMod, nil)
	if err != nil {
		return ""
	}
	for _, r := range f.Require {
		if r.Mod.Path == path {
			return r.Mod.Version
		}
	}
	return ""
}
