package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPinnedVersion(t *testing.T) {
	assert.Equal(t, "v0.0.0-20260827124520-eed52ebb66ad", PinnedVersion("istio.io/istio"), "the Istio code behind the offline predictions")
	assert.Equal(t, "v1.32.0", PinnedVersion("istio.io/client-go"))
	assert.Empty(t, PinnedVersion("example.com/not-required"))
}
