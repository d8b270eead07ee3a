package config

import (
	"os"
	"path/filepath"
)

// ArtifactsDir is where run artifacts (reports, diagnostics) go: $ARTIFACTS, or the artifacts folder at the
// module root (git-ignored), wherever the tests run from.
func ArtifactsDir() string {
	if d := os.Getenv("ARTIFACTS"); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			return abs
		}
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return "artifacts"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "artifacts")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, "artifacts")
		}
	}
}
