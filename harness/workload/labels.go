// Package workload renders the live tier's pods: the sidecar-injected curl
// client and the hermetic external HTTPS server.
package workload

import "k8s.io/apimachinery/pkg/labels"

// ClientApp is the client pod's app label. Variant fixtures select the client
// with it (a DestinationRule workloadSelector), and the offline engine gives
// its simulated sidecar the same labels, so both tiers see the same selection.
const ClientApp = "egress-client"

// ClientLabels are the client pod's labels: app: egress-client and the
// scenario's client.labels, which win (a doc's workloadSelector {app: sleep}).
func ClientLabels(scenario map[string]string) map[string]string {
	return labels.Merge(map[string]string{"app": ClientApp}, scenario)
}
