package live

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"istio-egress-conformance/scenarios"
)

func TestHostsCoverURLsAndSNI(t *testing.T) {
	assert.Equal(t, []string{"www.tetrate.io", "tetrate.io"}, Hosts(scenarios.Builtin()),
		"the hermetic certificate must cover the URL host and the DestinationRule's SNI")
}

func TestPhasePrintsWhatAndHowLong(t *testing.T) {
	var out bytes.Buffer
	r := &Run{Progress: &out}
	assert.NoError(t, r.phase("istio: install", func() error { return nil }))
	assert.EqualError(t, r.phase("cluster: create", func() error { return errors.New("no space left") }), "no space left")
	assert.Regexp(t, `^==> istio: install\n<== istio: install: done in [0-9.]+m?s\n==> cluster: create\n<== cluster: create: FAILED: no space left in [0-9.]+m?s\n$`, out.String())
}
