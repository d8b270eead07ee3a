package snapshot

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadInputs: a folder's scenario files are left out, and the fixtures'
// names are relative to the deepest folder holding the fixtures; a file
// named that holds no objects is an error, not skipped.
func TestReadInputs(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "team", "egress")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	se := "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: a, namespace: ns}\nspec: {hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}]}\n"
	require.NoError(t, os.WriteFile(filepath.Join(sub, "a.yaml"), []byte(se), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "b.yml"), []byte(se), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "notes.txt"), []byte("not yaml"), 0o644))
	scenario := filepath.Join(root, "team", "snapshot.yaml")
	require.NoError(t, os.WriteFile(scenario, []byte("name: s\n"), 0o644))

	in, err := ReadInputs([]string{sub, filepath.Join(root, "team")})
	require.NoError(t, err)
	assert.Equal(t, sub, in.Dir, "the scenario file in team/ does not widen the folder")
	require.Len(t, in.Files, 2)
	assert.Equal(t, "a.yaml", in.Files[0].Name)
	assert.Equal(t, "b.yml", in.Files[1].Name)

	_, err = ReadInputs([]string{scenario})
	assert.EqualError(t, err, scenario+": expected a fixture file (YAML documents with apiVersion and kind)")
}
