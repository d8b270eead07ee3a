package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios"
)

// Inputs are the fixture files a snapshot reads.
type Inputs struct {
	// Dir is the deepest folder holding every file: the scenario saved there
	// finds them by their Names, relative to it.
	Dir   string
	Files []fixture.File
}

// ReadInputs reads the fixture files at paths: each file named, and the
// *.yaml and *.yml files directly in each folder named (not its sub-folders,
// as E2E_SCENARIOS reads a folder), leaving out scenario files, such as a
// snapshot saved beside its inputs. Every object must pass the fixture
// loader: Istio's validation, and kinds a tier can honour.
func ReadInputs(paths []string) (Inputs, error) {
	if len(paths) == 0 {
		return Inputs{}, fmt.Errorf("no PATH: expected fixture files or folders of them")
	}
	files, err := expand(paths)
	if err != nil {
		return Inputs{}, err
	}
	in := Inputs{Dir: commonDir(files)}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			return Inputs{}, fmt.Errorf("%s: %v", path, err)
		}
		if !scenarios.HoldsKubernetesObjects(data) {
			continue
		}
		name, err := filepath.Rel(in.Dir, path)
		if err != nil {
			return Inputs{}, fmt.Errorf("%s: %v", path, err)
		}
		f, err := fixture.Parse(filepath.ToSlash(name), data)
		if err == nil {
			err = f.Honoured()
		}
		if err != nil {
			return Inputs{}, err
		}
		in.Files = append(in.Files, f)
	}
	if len(in.Files) == 0 {
		return Inputs{}, fmt.Errorf("%s: no Kubernetes objects: expected YAML files of Istio and Gateway API objects", strings.Join(paths, ", "))
	}
	return in, nil
}

// expand lists the files paths name, absolute, sorted, each once.
func expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		info, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("%s: expected a fixture file or a folder of them: %v", p, err)
		}
		if !info.IsDir() {
			out = append(out, abs)
			continue
		}
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			matches, _ := filepath.Glob(filepath.Join(abs, pattern)) // the pattern is valid
			out = append(out, matches...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// commonDir is the deepest folder that holds every file.
func commonDir(files []string) string {
	dir := filepath.Dir(files[0])
	for _, f := range files[1:] {
		for !strings.HasPrefix(f, dir+string(filepath.Separator)) && dir != filepath.Dir(dir) {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}
