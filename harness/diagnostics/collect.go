// Package diagnostics captures, when a live scenario fails and before its
// teardown, what explains the failure without a rerun: the client sidecar's
// Envoy config and the clusters and stats for the external host, the proxy and
// client logs, the namespace's events and the applied objects as the API
// server holds them. Every file is bounded in size; Secrets are redacted.
package diagnostics

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Size bounds: one file, and everything one scenario writes.
const (
	MaxFileBytes     = 2 << 20
	MaxScenarioBytes = 16 << 20
)

// Source reads the cluster; the live tier backs it with client-go, tests with a fake.
type Source interface {
	// Exec runs argv in a container and returns its standard output.
	Exec(ctx context.Context, namespace, pod, container string, argv []string) ([]byte, error)
	// Logs returns a container's log.
	Logs(ctx context.Context, namespace, pod, container string) ([]byte, error)
	// Events returns the namespace's events, rendered as YAML.
	Events(ctx context.Context, namespace string) ([]byte, error)
	// Objects returns the given objects as the API server holds them, as YAML, Secrets redacted.
	Objects(ctx context.Context) ([]byte, error)
}

// Target says whose diagnostics to take.
type Target struct {
	Scenario  string
	Namespace string
	Pod       string
	// Container is the client container; the sidecar is Sidecar.
	Container string
	Sidecar   string
	// Hosts are the external host names whose clusters and stats matter.
	Hosts []string
	// Gateway is the scenario's egress gateway pod, when it has one: its
	// Envoy's config, clusters and access log (the doc tests read the log).
	Gateway *Pod
}

// Pod is a pod by namespace and name.
type Pod struct{ Namespace, Name string }

// Item is one file of the collection and how to fill it.
type Item struct {
	File  string
	fetch func(ctx context.Context, s Source) ([]byte, error)
	// filter keeps the lines that matter (nil keeps all).
	filter func([]byte) []byte
	// Describe is the command or API call, for the index and for tests.
	Describe string
}

// Plan lists what to collect for a target, in order.
func Plan(t Target) []Item {
	agent := func(path string) []string { return []string{"pilot-agent", "request", "GET", path} }
	execIn := func(ns, pod, file, path string, filter func([]byte) []byte) Item {
		argv := agent(path)
		return Item{File: file, Describe: fmt.Sprintf("exec %s/%s -c %s -- %s", ns, pod, t.Sidecar, strings.Join(argv, " ")),
			fetch: func(ctx context.Context, s Source) ([]byte, error) {
				return s.Exec(ctx, ns, pod, t.Sidecar, argv)
			},
			filter: filter}
	}
	logOf := func(ns, pod, file, container string) Item {
		return Item{File: file, Describe: fmt.Sprintf("logs %s/%s -c %s", ns, pod, container),
			fetch: func(ctx context.Context, s Source) ([]byte, error) { return s.Logs(ctx, ns, pod, container) }}
	}
	execItem := func(file, path string, filter func([]byte) []byte) Item {
		return execIn(t.Namespace, t.Pod, file, path, filter)
	}
	logItem := func(container string) Item { return logOf(t.Namespace, t.Pod, "logs-"+container+".txt", container) }
	var gateway []Item
	if g := t.Gateway; g != nil {
		gateway = []Item{
			execIn(g.Namespace, g.Name, "gateway-envoy-config_dump.json", "config_dump", nil),
			execIn(g.Namespace, g.Name, "gateway-envoy-clusters.txt", "clusters", linesMentioning(t.Hosts)),
			logOf(g.Namespace, g.Name, "gateway-logs-"+t.Sidecar+".txt", t.Sidecar),
		}
	}
	return append([]Item{
		execItem("envoy-config_dump.json", "config_dump", nil),
		execItem("envoy-clusters.txt", "clusters", linesMentioning(append([]string{"PassthroughCluster"}, t.Hosts...))),
		execItem("envoy-stats.txt", "stats", linesMentioning(append([]string{"PassthroughCluster", "upstream_rq_timeout", "upstream_rq_retry"}, t.Hosts...))),
		logItem(t.Sidecar),
		logItem(t.Container),
		{File: "events.yaml", Describe: "events in " + t.Namespace,
			fetch: func(ctx context.Context, s Source) ([]byte, error) { return s.Events(ctx, t.Namespace) }},
		{File: "objects.yaml", Describe: "applied objects from the API server",
			fetch: func(ctx context.Context, s Source) ([]byte, error) { return s.Objects(ctx) }},
	}, gateway...)
}

// Collect writes the plan's files into dir/<scenario>/ and an index of what
// each file is. A source that fails for one file does not stop the others;
// the index records the error.
func Collect(ctx context.Context, dir string, t Target, s Source) error {
	out := filepath.Join(dir, t.Scenario)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("diagnostics: %v", err)
	}
	var index strings.Builder
	var errs []error
	budget := MaxScenarioBytes
	for _, item := range Plan(t) {
		data, err := item.fetch(ctx, s)
		if err != nil {
			fmt.Fprintf(&index, "%s: %s: FAILED: %v\n", item.File, item.Describe, err)
			errs = append(errs, fmt.Errorf("%s: %v", item.File, err))
			continue
		}
		if item.filter != nil {
			data = item.filter(data)
		}
		data = bound(data, min(MaxFileBytes, budget))
		budget -= len(data)
		if err := os.WriteFile(filepath.Join(out, item.File), data, 0o644); err != nil {
			return fmt.Errorf("diagnostics: %v", err)
		}
		fmt.Fprintf(&index, "%s: %s (%d bytes)\n", item.File, item.Describe, len(data))
	}
	if err := os.WriteFile(filepath.Join(out, "index.txt"), []byte(index.String()), 0o644); err != nil {
		return fmt.Errorf("diagnostics: %v", err)
	}
	return errors.Join(errs...)
}

// truncationNote ends a file cut at the size bound.
const truncationNote = "\n[... truncated by egress-conformance: size bound reached ...]\n"

func bound(data []byte, limit int) []byte {
	if len(data) <= limit {
		return data
	}
	if limit <= len(truncationNote) {
		return []byte(truncationNote)[:max(limit, 0)]
	}
	return append(data[:limit-len(truncationNote):limit-len(truncationNote)], truncationNote...)
}

func linesMentioning(words []string) func([]byte) []byte {
	return func(data []byte) []byte {
		var keep []string
		for _, line := range strings.Split(string(data), "\n") {
			for _, w := range words {
				if w != "" && strings.Contains(line, w) {
					keep = append(keep, line)
					break
				}
			}
		}
		return []byte(strings.Join(keep, "\n"))
	}
}
