package progress

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStep(t *testing.T) {
	var b bytes.Buffer
	assert.NoError(t, Step(&b, "istio: install", func() error { return nil }))
	assert.EqualError(t, Step(&b, "cluster: create", func() error { return errors.New("kind: no docker") }), "kind: no docker")
	assert.Equal(t, "==> istio: install\n<== istio: install: done in 0s\n==> cluster: create\n<== cluster: create: FAILED: kind: no docker in 0s\n", b.String())
}
