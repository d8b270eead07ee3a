// Package envoyadmin reads what a proxy's Envoy admin endpoint and log say
// about the config updates it rejected, where a config dump does not say it:
// Envoy fills a dynamic cluster's error_state nowhere (api/envoy/admin/v3/
// config_dump_shared.proto: ClustersConfigDump.DynamicCluster.error_state is
// [#not-implemented-hide:]), and a rejected new cluster never reaches the
// dump at all. It counts the rejection in a stat and logs its reason.
package envoyadmin

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// CDSRejectedStat counts the CDS updates Envoy rejected: the subscription's
// update_rejected (envoy/config/subscription.h, ALL_SUBSCRIPTION_STATS) in
// the CDS scope (source/common/upstream/cds_api_impl.cc,
// scope.createScope("cluster_manager.cds.")). Istio keeps it: its bootstrap's
// stats matcher includes cluster_manager (pkg/bootstrap/config.go), and
// pilot-agent reads it for readiness (pilot/cmd/pilot-agent/status/util/stats.go).
const CDSRejectedStat = "cluster_manager.cds.update_rejected"

// StatsPath is what to ask Envoy's admin endpoint (through `pilot-agent
// request GET`) for the CDS rejection counter: /stats filtered to it, in
// Envoy's plain-text form, one `name: value` line per stat.
const StatsPath = "stats?filter=" + CDSRejectedStat

// CDSRejected reads the counter from the text /stats answered with. A stat
// missing from the answer counts as zero, as pilot-agent counts it
// (status/util/stats.go, processLine); a present line with a value that is
// not a count is an error naming the line.
func CDSRejected(stats []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(stats))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) != CDSRejectedStat {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("envoy stats: %s: expected a count, got %q", CDSRejectedStat, strings.TrimSpace(value))
		}
		return n, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("envoy stats: %v", err)
	}
	return 0, nil
}

// clusterRejected is how Envoy logs a rejected CDS update, at warn level
// (source/extensions/config_subscription/grpc/grpc_subscription_impl.cc,
// onConfigUpdateFailed: "gRPC config for {} rejected: {}", the type URL and
// the reason; for CDS the reason is "Error adding/updating cluster(s) " and
// "<name>: <why>" per cluster, source/common/upstream/cds_api_impl.cc).
// Istio runs the proxy at log level warning (pilot/cmd/pilot-agent/app/cmd.go,
// --proxyLogLevel).
const clusterRejected = "gRPC config for type.googleapis.com/envoy.config.cluster.v3.Cluster rejected: "

// istioLogTail is what Istio's proxy log format puts after the message
// (tools/packaging/common/envoy_bootstrap.json, application_log_config:
// "%Y-%m-%dT%T.%fZ\t%l\tenvoy %n %g:%#\t%v\tthread=%t").
const istioLogTail = "\tthread="

// CDSRejections are the reasons of the rejected CDS updates a proxy's log
// holds, one line each, in order.
func CDSRejections(log []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		if _, reason, ok := strings.Cut(sc.Text(), clusterRejected); ok {
			reason, _, _ = strings.Cut(reason, istioLogTail)
			out = append(out, strings.TrimSpace(reason))
		}
	}
	return out
}
