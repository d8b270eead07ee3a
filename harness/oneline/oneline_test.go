package oneline

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOf(t *testing.T) {
	assert.Equal(t, "spec: unknown field \"timout\" at line 3", Of(errors.New("spec:\n  unknown field \"timout\"\r\n\tat line 3\n")))
	assert.Equal(t, "", Of(errors.New(" \n ")))
}
