// Package oneline folds multi-line error text (Istio's validation, YAML
// decoders, tools' stderr) into one line, so that every error the harness
// reports stays one line in test output, JUnit and the progress log.
package oneline

import "strings"

// Of is err's text with every run of white space, newlines included, folded
// into one space.
func Of(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
