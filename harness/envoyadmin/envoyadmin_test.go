package envoyadmin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCDSRejectedReadsTheCounter(t *testing.T) {
	n, err := CDSRejected([]byte("cluster_manager.cds.update_attempt: 12\ncluster_manager.cds.update_rejected: 2\ncluster_manager.cds.update_success: 10\n"))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n)

	n, err = CDSRejected([]byte("cluster_manager.cds.update_success: 10\n"))
	require.NoError(t, err)
	assert.Zero(t, n, "a stat Envoy does not list counts as zero")

	_, err = CDSRejected([]byte("cluster_manager.cds.update_rejected: many\n"))
	assert.EqualError(t, err, `envoy stats: cluster_manager.cds.update_rejected: expected a count, got "many"`)
}

// TestCDSRejectionsReadsEnvoysLogLine: the line in the log format Istio's
// bootstrap gives Envoy (tools/packaging/common/envoy_bootstrap.json:
// "%Y-%m-%dT%T.%fZ\t%l\tenvoy %n %g:%#\t%v\tthread=%t"), between
// pilot-agent's own lines in the container's log.
func TestCDSRejectionsReadsEnvoysLogLine(t *testing.T) {
	log := "2026-12-03T09:00:00.000000Z\tinfo\tEnvoy proxy is ready\n" +
		"2026-12-03T09:00:01.000000Z\twarning\tenvoy config external/envoy/source/extensions/config_subscription/grpc/grpc_subscription_impl.cc:138\t" +
		"gRPC config for type.googleapis.com/envoy.config.cluster.v3.Cluster rejected: Error adding/updating cluster(s) outbound|443||edition.cnn.com: cluster: LOGICAL_DNS clusters must have a single host\tthread=15\n" +
		"2026-12-03T09:00:02.000000Z\twarning\tenvoy config external/envoy/source/extensions/config_subscription/grpc/grpc_subscription_impl.cc:138\t" +
		"gRPC config for type.googleapis.com/envoy.config.listener.v3.Listener rejected: Error adding/updating listener(s) 0.0.0.0_80: duplicate domain\tthread=15\n"
	assert.Equal(t, []string{"Error adding/updating cluster(s) outbound|443||edition.cnn.com: cluster: LOGICAL_DNS clusters must have a single host"}, CDSRejections([]byte(log)))
	assert.Empty(t, CDSRejections(nil))
}

func FuzzCDSRejected(f *testing.F) {
	f.Add([]byte("cluster_manager.cds.update_rejected: 2\n"))
	f.Add([]byte("cluster_manager.cds.update_rejected:\n"))
	f.Add([]byte("cluster_manager.cds.update_rejected: 18446744073709551616\n"))
	f.Fuzz(func(t *testing.T, stats []byte) {
		n, err := CDSRejected(stats)
		if err != nil && n != 0 {
			t.Fatalf("an error with a count: %d, %v", n, err)
		}
		_ = CDSRejections(stats)
	})
}
