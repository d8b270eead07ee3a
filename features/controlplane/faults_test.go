package controlplane

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"istio.io/istio/pkg/adsc"

	"istio-egress-conformance/harness/controlplane"
)

// startIstiod starts a second istiod on the shared API server with extra
// flags, on ports of its own.
func startIstiod(t *testing.T, ports controlplane.Ports, extra ...string) (*controlplane.Istiod, error) {
	srv, _ := need(t)
	args := append(ports.Args(srv.Kubeconfig), extra...)
	return controlplane.Start(context.Background(), shared.opts.Istiod, t.TempDir(), args, ports, 30*time.Second)
}

// assertPortsFree shows that nothing is left listening on ports.
func assertPortsFree(t *testing.T, ports controlplane.Ports) {
	for _, p := range []int{ports.HTTP, ports.GRPC, ports.SecureGRPC, ports.Monitoring, ports.HTTPS} {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if assert.NoError(t, err, "port %d is free again: no istiod left running", p) {
			_ = l.Close()
		}
	}
}

// TestIstiodWithABadFlagIsOneLine uses a bad value: pilot-discovery ignores
// flags it does not know (a misspelt one starts istiod without it).
func TestIstiodWithABadFlagIsOneLine(t *testing.T) {
	ports, err := controlplane.FreePorts()
	require.NoError(t, err)
	_, err = startIstiod(t, ports, "--keepaliveMaxServerConnectionAge", "soon")
	require.Error(t, err)
	assert.Regexp(t, `^istiod exited while starting \(exit status \d+\): .*invalid argument "soon" for "--keepaliveMaxServerConnectionAge" flag`, err.Error())
	assert.NotContains(t, err.Error(), "\n")
	assertPortsFree(t, ports)
}

func TestIstiodOnAPortInUseIsOneLine(t *testing.T) {
	ports, err := controlplane.FreePorts()
	require.NoError(t, err)
	taken, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ports.GRPC))
	require.NoError(t, err)
	_, err = startIstiod(t, ports)
	_ = taken.Close()
	require.Error(t, err)
	assert.Regexp(t, `^istiod exited while starting \(exit status \d+\): .*address already in use`, err.Error())
	assert.NotContains(t, err.Error(), "\n")
	assertPortsFree(t, ports)
}

func TestIstiodDyingMidRunIsNamed(t *testing.T) {
	ports, err := controlplane.FreePorts()
	require.NoError(t, err)
	d, err := startIstiod(t, ports)
	require.NoError(t, err)
	defer d.Stop()
	conn, err := controlplane.Connect(fmt.Sprintf("127.0.0.1:%d", ports.GRPC), adsc.Config{Namespace: "default", Workload: "probe", IP: "10.244.9.9"})
	require.NoError(t, err)
	defer conn.Close()

	require.NoError(t, syscall.Kill(d.Pid(), syscall.SIGKILL))
	<-d.Exited()
	_, err = controlplane.AwaitConfig(context.Background(), conn, d, []string{"www.tetrate.io"}, true, 10*time.Second)
	require.Error(t, err)
	assert.Regexp(t, `^istiod exited \(signal: killed\): `, err.Error())
	assertPortsFree(t, ports)
}

func TestConfigThatNeverConvergesIsOneLine(t *testing.T) {
	_, mesh := need(t)
	conn, err := controlplane.Connect(fmt.Sprintf("127.0.0.1:%d", mesh.Istiod.Ports.GRPC), adsc.Config{Namespace: "default", Workload: "probe", IP: "10.244.9.10"})
	require.NoError(t, err)
	defer conn.Close()
	_, err = controlplane.AwaitConfig(context.Background(), conn, mesh.Istiod, []string{"never.example.com"}, true, time.Second)
	assert.EqualError(t, err, "config never converged within 1s: no cluster for [never.example.com] in the sidecar's config")
	assert.NoError(t, mesh.Istiod.Err(), "the shared istiod still runs")
}
