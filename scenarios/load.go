package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"istio-egress-conformance/fixtures"
	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/oneline"
)

// EnvScenarios names the environment variable whose folder replaces the built-in catalog.
const EnvScenarios = "E2E_SCENARIOS"

//go:embed *.yaml
var builtin embed.FS

// Entry is one scenario file of a catalog: its scenario, or why it did not load.
// A broken file does not hide the others; each engine reports it as its own failure.
type Entry struct {
	// ID is the scenario name, or the file name without .yaml when the file did not load.
	ID       string
	File     string
	Scenario Scenario
	Err      error
}

// Builtin loads the catalog shipped in this folder, with fixtures from fixtures/.
func Builtin() []Entry {
	entries, err := Load(builtin, "scenarios")
	if err != nil {
		panic(err) // the embedded catalog always has files; a test guards its content
	}
	return entries
}

// BuiltinNamed is the built-in scenario of this name; an error when it is
// missing or did not load.
func BuiltinNamed(name string) (Scenario, error) {
	for _, e := range Builtin() {
		if e.ID == name {
			return e.Scenario, e.Err
		}
	}
	return Scenario{}, fmt.Errorf("no built-in scenario %s", name)
}

// FromEnv loads the folder named by E2E_SCENARIOS, or the built-in catalog when it is unset.
func FromEnv() ([]Entry, error) {
	dir := os.Getenv(EnvScenarios)
	if dir == "" {
		return Builtin(), nil
	}
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return nil, fmt.Errorf("%s=%q: expected a readable folder of scenario *.yaml files", EnvScenarios, dir)
	}
	entries, err := Load(os.DirFS(dir), dir)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", EnvScenarios, dir, err)
	}
	return entries, nil
}

// Load reads every *.yaml file directly in the root of dir (not sub-folders),
// except files holding Kubernetes objects, which are fixtures. Fixture names resolve in dir first, then in the built-in fixtures/. origin
// prefixes file names in messages. It fails only when dir holds no scenario file.
func Load(dir fs.FS, origin string) ([]Entry, error) {
	names, err := fs.Glob(dir, "*.yaml")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no scenario files (*.yaml) in the folder")
	}
	sort.Strings(names)
	resolver := &fixtureResolver{dirs: []fs.FS{dir, fixtures.FS}, cache: map[string]fixture.File{}}
	seen := map[string]string{}
	entries := make([]Entry, 0, len(names))
	for _, name := range names {
		data, err := fs.ReadFile(dir, name)
		if err == nil && HoldsKubernetesObjects(data) {
			continue // a fixture kept next to the scenarios, not a scenario
		}
		file := path.Join(origin, name)
		entry := Entry{ID: strings.TrimSuffix(name, ".yaml"), File: file}
		entry.Scenario, entry.Err = loadFile(data, err, file, resolver)
		if entry.Err == nil {
			name := entry.Scenario.Name
			if other, dup := seen[name]; dup {
				entry.Err = fmt.Errorf("scenario %s: name: %q is already used by %s: expected unique names", file, name, other)
			} else {
				entry.ID = name
				seen[name] = file
			}
		}
		entries = append(entries, entry)
	}
	return entries, nil
}

func loadFile(data []byte, readErr error, file string, resolver *fixtureResolver) (Scenario, error) {
	if err := readErr; err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: %v", file, err)
	}
	s, err := Parse(data)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: %v", file, err)
	}
	s.File = file
	for i, ref := range s.Fixtures {
		f, err := resolver.resolve(ref)
		if err != nil {
			return Scenario{}, fmt.Errorf("scenario %s: fixtures[%d]: %v", file, i, err)
		}
		s.Resolved = append(s.Resolved, f)
	}
	return s, nil
}

// HoldsKubernetesObjects tells a fixture from a scenario: its first document
// has top-level apiVersion and kind, which the scenario contract never has.
func HoldsKubernetesObjects(data []byte) bool {
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	return yaml.Unmarshal(data, &head) == nil && head.APIVersion != "" && head.Kind != ""
}

// Parse decodes one scenario document strictly and validates it; it does not resolve fixtures.
func Parse(data []byte) (Scenario, error) {
	var s Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return Scenario{}, errors.New("empty file: expected a scenario with name, fixtures, client and checks")
		}
		return Scenario{}, fmt.Errorf("invalid scenario YAML: %s", oneline.Of(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Scenario{}, errors.New("more than one YAML document: expected one scenario per file")
	}
	if err := s.Validate(); err != nil {
		return Scenario{}, err
	}
	return s, nil
}

// fixtureResolver finds and parses fixture files once per catalog.
type fixtureResolver struct {
	dirs  []fs.FS
	cache map[string]fixture.File
}

func (r *fixtureResolver) resolve(ref string) (fixture.File, error) {
	if f, ok := r.cache[ref]; ok {
		return f, nil
	}
	dirs, name := r.dirs, ref
	if filepath.IsAbs(ref) {
		// An absolute path names a file anywhere (a snapshot's inputs kept
		// apart from it); messages keep the path as written.
		dirs, name = []fs.FS{os.DirFS(filepath.Dir(ref))}, filepath.Base(ref)
	} else if !fs.ValidPath(ref) {
		return fixture.File{}, fmt.Errorf("%q: expected an absolute path, or a relative one inside the scenario folder or fixtures/", ref)
	}
	for _, dir := range dirs {
		data, err := fs.ReadFile(dir, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fixture.File{}, fmt.Errorf("%q: %v", ref, err)
		}
		f, err := fixture.Parse(ref, data)
		if err == nil {
			err = f.Honoured()
		}
		if err != nil {
			return fixture.File{}, err
		}
		r.cache[ref] = f
		return f, nil
	}
	if filepath.IsAbs(ref) {
		return fixture.File{}, fmt.Errorf("%q not found", ref)
	}
	return fixture.File{}, fmt.Errorf("%q not found: looked in the scenario's folder and in the built-in fixtures/", ref)
}
