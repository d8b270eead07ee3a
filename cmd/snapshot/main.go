// Command snapshot writes a scenario file from a team's own Istio and
// Gateway API objects: a check per declared host and port, and one for a
// host none declares, with every expectation the offline translation
// predicts. With --diff it compares the objects' snapshot now with a saved
// one instead, one line per changed field, and exits 1 when any changed;
// with --from-cluster it reads the objects from the cluster in KUBECONFIG.
// The command line is harness/snapshot's Command (docs/snapshot.md).
//
//	go run ./cmd/snapshot --namespace NS [--labels k=v,...] [--service-account SA] [--egress-gateway NAME] PATH...
package main

import (
	"os"

	"istio-egress-conformance/harness/snapshot"
)

func main() {
	os.Exit(snapshot.Command(os.Args[1:], os.Stdout, os.Stderr))
}
