package command

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExecReportsFailureOnOneLine(t *testing.T) {
	_, err := Exec{}.Run(context.Background(), "sh", "-c", "echo first >&2; echo 'the real reason' >&2; exit 3")
	require.Error(t, err)
	assert.Equal(t, "sh -c echo first >&2; echo 'the real reason' >&2; exit 3: exit status 3: the real reason", err.Error())

	_, err = Exec{}.Run(context.Background(), "no-such-tool-here", "version")
	assert.ErrorContains(t, err, `no-such-tool-here version: exec: "no-such-tool-here": executable file not found in $PATH`)

	out, err := Exec{}.Run(context.Background(), "echo", "hello")
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(out))
}
