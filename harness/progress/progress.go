// Package progress prints what a long step does and how long it took, in the
// one format every tier uses: "==> name" when it starts, "<== name: done in
// 1.2s" (or "FAILED: why") when it ends.
package progress

import (
	"fmt"
	"io"
	"time"
)

// Step runs do between its two progress lines and returns its error.
func Step(w io.Writer, name string, do func() error) error {
	fmt.Fprintf(w, "==> %s\n", name)
	start := time.Now()
	err := do()
	status := "done"
	if err != nil {
		status = "FAILED: " + err.Error()
	}
	fmt.Fprintf(w, "<== %s: %s in %s\n", name, status, time.Since(start).Round(100*time.Millisecond))
	return err
}
