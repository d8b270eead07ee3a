// Package preflight decides, before anything is created, whether the live tier
// can run: a cluster to use (a reachable API server from KUBECONFIG, or a
// Docker engine for kind) and the pinned tools. Without a cluster it returns
// one line saying what is missing.
package preflight

import (
	"context"
	"fmt"
	"strings"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/oneline"
)

// Cluster sources.
const (
	ModeExisting = "existing" // KUBECONFIG: used as is, never deleted
	ModeKind     = "kind"     // a kind cluster this run creates
)

// Report is what preflight found.
type Report struct {
	// Mode is ModeExisting or ModeKind; empty when no cluster can be had.
	Mode string
	// Missing says, in one line, why no cluster can be had.
	Missing string
	// Tools maps a pinned tool name to its built binary.
	Tools map[string]string
	// ServerVersion is the API server's version (existing clusters only).
	ServerVersion string
}

// Probes reach the outside world; tests replace them.
type Probes struct {
	Runner command.Runner
	// APIServer returns the server version behind a kubeconfig.
	APIServer func(ctx context.Context, kubeconfig string) (string, error)
}

// PinnedTools are the go.mod tool directives the live tier runs.
var PinnedTools = []string{"kind", "helm"}

// Run checks the cluster first (cheap, and the usual reason to stop), then
// builds the pinned tools the run needs.
func Run(ctx context.Context, cfg config.Config, p Probes) (Report, error) {
	var r Report
	if cfg.Kubeconfig != "" {
		v, err := p.APIServer(ctx, cfg.Kubeconfig)
		if err := stopped(ctx, "reaching the API server in KUBECONFIG="+cfg.Kubeconfig); err != nil {
			return r, err
		}
		if err != nil {
			r.Missing = fmt.Sprintf("the cluster in KUBECONFIG=%s is unreachable: %s", cfg.Kubeconfig, oneline.Of(err))
			return r, nil
		}
		r.Mode, r.ServerVersion = ModeExisting, v
	} else {
		_, err := p.Runner.Run(ctx, "docker", "info", "--format", "{{.ServerVersion}}")
		if err := stopped(ctx, "asking the Docker engine for its version (docker info)"); err != nil {
			return r, err
		}
		if err != nil {
			r.Missing = "no Docker engine for kind (" + oneline.Of(err) + ") and no KUBECONFIG for an existing cluster"
			return r, nil
		}
		r.Mode = ModeKind
	}
	r.Tools = map[string]string{}
	for _, tool := range PinnedTools {
		if tool == "kind" && r.Mode != ModeKind {
			continue
		}
		path, err := ToolPath(ctx, p.Runner, tool)
		if err := stopped(ctx, "building the pinned tool "+tool+" (go tool -n "+tool+")"); err != nil {
			return r, err
		}
		if err != nil {
			return r, err
		}
		r.Tools[tool] = path
	}
	return r, nil
}

// stopped turns an expired or cancelled preflight into a line of its own,
// rather than blaming the probe that happened to be running.
func stopped(ctx context.Context, step string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("preflight stopped while %s: %v", step, err)
	}
	return nil
}

// ToolPath builds a tool pinned in go.mod and returns its binary's path
// (`go tool -n` prints it without running the tool).
func ToolPath(ctx context.Context, runner command.Runner, tool string) (string, error) {
	out, err := runner.Run(ctx, "go", "tool", "-n", tool)
	if err != nil {
		return "", fmt.Errorf("pinned tool %s (a tool directive in go.mod) could not be built: %s", tool, oneline.Of(err))
	}
	path := strings.TrimSpace(string(out))
	if path == "" {
		return "", fmt.Errorf("pinned tool %s: `go tool -n %s` printed no path", tool, tool)
	}
	return path, nil
}

// SkipLine is the one line printed when the live tier is skipped on purpose
// (go test -short, or E2E_REQUIRE_CLUSTER=0) and no cluster can be had.
func (r Report) SkipLine() string {
	return "live tier skipped (go test -short or E2E_REQUIRE_CLUSTER=0): " + r.Missing
}

// FailLine is the one line a run without a cluster fails with: a live tier
// that did not run must not look like a pass.
func (r Report) FailLine() string {
	return "live tier cannot run: " + r.Missing + "; skip it with go test -short ./... (or E2E_REQUIRE_CLUSTER=0)"
}
