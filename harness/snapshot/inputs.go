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
	var kept []string
	var data [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return Inputs{}, fmt.Errorf("%s: %v", f.path, err)
		}
		if !scenarios.HoldsKubernetesObjects(b) {
			if f.named {
				return Inputs{}, fmt.Errorf("%s: expected a fixture file (YAML documents with apiVersion and kind)", f.path)
			}
			continue // a scenario file beside the fixtures
		}
		kept, data = append(kept, f.path), append(data, b)
	}
	if len(kept) == 0 {
		return Inputs{}, fmt.Errorf("%s: no Kubernetes objects: expected YAML files of Istio and Gateway API objects", strings.Join(paths, ", "))
	}
	in := Inputs{Dir: commonDir(kept)}
	for i, path := range kept {
		name, err := filepath.Rel(in.Dir, path)
		if err != nil {
			return Inputs{}, fmt.Errorf("%s: %v", path, err)
		}
		f, err := fixture.Parse(filepath.ToSlash(name), data[i])
		if err == nil {
			err = f.Honoured()
		}
		if err != nil {
			return Inputs{}, err
		}
		in.Files = append(in.Files, f)
	}
	return in, nil
}

// input is a file to read, and whether it was named itself rather than
// found in a folder.
type input struct {
	path  string
	named bool
}

// expand lists the files paths name, absolute, sorted, each once: a file
// named, or the *.yaml and *.yml files directly in a folder named.
func expand(paths []string) ([]input, error) {
	var out []input
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
			out = append(out, input{path: abs, named: true})
			continue
		}
		entries, err := os.ReadDir(abs)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				out = append(out, input{path: filepath.Join(abs, e.Name())})
			}
		}
	}
	slices.SortFunc(out, func(a, b input) int { return strings.Compare(a.path, b.path) })
	return slices.CompactFunc(out, func(a, b input) bool { return a.path == b.path }), nil
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
