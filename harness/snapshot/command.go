package snapshot

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"istio-egress-conformance/harness/oneline"
	"istio-egress-conformance/scenarios"
)

// Exit statuses of Command, as diff(1) has them: 1 means the snapshot changed.
const (
	ExitChanged = 1
	ExitError   = 2
)

// Command is cmd/snapshot with its arguments and streams: it returns the
// exit status (0, ExitChanged, ExitError).
func Command(args []string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "snapshot: "+err.Error())
		return ExitError
	}
	f, err := parseFlags(args, stderr)
	if err != nil {
		if errors.As(err, new(usageError)) {
			return ExitError // the flag package has printed it, with the usage
		}
		return fail(err)
	}
	paths := f.paths
	if f.fromCluster != "" {
		if err := readCluster(f.fromCluster, f.Options); err != nil {
			return fail(err)
		}
		paths = []string{f.fromCluster}
	}
	in, err := ReadInputs(paths)
	if err != nil {
		return fail(err)
	}
	snap, err := Take(in, f.Options)
	if err != nil {
		return fail(err)
	}
	if f.diff != "" {
		return compare(snap, f.diff, stdout, stderr)
	}
	out, err := snap.Render()
	if err == nil {
		_, err = stdout.Write(out)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// usageError is a command line the flag package refused (and printed).
type usageError struct{ error }

// flags are the command line: the snapshot's options and what to do.
type flags struct {
	Options
	diff, fromCluster string
	paths             []string
}

// parseFlags reads the command line; a flag error comes back after the
// flag package printed it with the usage.
func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	var labels string
	fs := flag.NewFlagSet("snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.Namespace, "namespace", "", "the client's namespace (required)")
	fs.StringVar(&labels, "labels", "", "the client pod's labels, k=v,... (what workloadSelectors match)")
	fs.StringVar(&f.ServiceAccount, "service-account", "", "the client's service account (default: default)")
	fs.StringVar(&f.EgressGateway, "egress-gateway", "", "the egress gateway the objects route through: name (in istio-system) or namespace/name")
	fs.StringVar(&f.Name, "name", "", "the scenario's name (default: snapshot-<namespace>)")
	fs.Func("suppress", "an Istio analyzer message to accept, CODE=RESOURCE as istioctl analyze --suppress (repeatable)", func(v string) error {
		f.Suppress = append(f.Suppress, v)
		return nil
	})
	fs.StringVar(&f.fromCluster, "from-cluster", "", "read the objects from the cluster in KUBECONFIG into this folder (cluster-objects.yaml) instead of PATHs")
	fs.StringVar(&f.diff, "diff", "", "compare with this saved scenario file instead of writing one; exit 1 when a field changed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: snapshot --namespace NS [--labels k=v,...] [--service-account SA] [--egress-gateway NAME] [--suppress CODE=RESOURCE] [--diff FILE] [--from-cluster DIR | PATH...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return f, usageError{err}
	}
	f.paths = fs.Args()
	if f.Namespace == "" {
		return f, fmt.Errorf("--namespace: required: the namespace of the client whose requests the snapshot checks")
	}
	if f.fromCluster != "" && len(f.paths) > 0 {
		return f, fmt.Errorf("--from-cluster %s: expected no PATH besides it (got %s)", f.fromCluster, strings.Join(f.paths, " "))
	}
	var err error
	f.Labels, err = parseLabels(labels)
	return f, err
}

// clusterFile is where --from-cluster writes what it read.
const clusterFile = "cluster-objects.yaml"

// readCluster writes the objects of the cluster in KUBECONFIG that reach
// the client's (or the egress gateway's) namespace into dir/clusterFile.
func readCluster(dir string, o Options) error {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("--from-cluster: KUBECONFIG: %v", oneline.Of(err))
	}
	cfg.Timeout = 30 * time.Second
	gatewayNamespace, _, _ := scenarios.Scenario{EgressGateway: o.EgressGateway}.Gateway()
	data, err := FromCluster(context.Background(), cfg, o.Namespace, gatewayNamespace)
	if err != nil {
		return fmt.Errorf("--from-cluster: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--from-cluster: %v", err)
	}
	return os.WriteFile(filepath.Join(dir, clusterFile), data, 0o644)
}

// parseLabels reads k=v,k=v.
func parseLabels(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	labels := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--labels: %q: expected key=value pairs separated by commas", kv)
		}
		labels[k] = v
	}
	return labels, nil
}

// compare prints the snapshot's differences from the saved scenario file,
// one line each: 1 when there are any, 0 when there are none.
func compare(snap Snapshot, file string, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(file)
	if err == nil {
		var saved scenarios.Scenario
		if saved, err = scenarios.Parse(data); err == nil {
			changes := Diff(saved, snap)
			for _, c := range changes {
				fmt.Fprintln(stdout, c)
			}
			if len(changes) > 0 {
				return ExitChanged
			}
			fmt.Fprintf(stderr, "snapshot: no change from %s\n", file)
			return 0
		}
	}
	fmt.Fprintf(stderr, "snapshot: --diff %s: %v\n", file, err)
	return ExitError
}
