package controlplane

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"istio-egress-conformance/harness/istio"
)

// Ports are where the local istiod listens, all on 127.0.0.1.
type Ports struct {
	HTTP, GRPC, SecureGRPC, Monitoring, HTTPS int
}

// FreePorts asks the kernel for five unused ports.
func FreePorts() (Ports, error) {
	var ps [5]int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for i := range ps {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return Ports{}, fmt.Errorf("istiod: no free port: %v", err)
		}
		ls = append(ls, l)
		ps[i] = l.Addr().(*net.TCPAddr).Port
	}
	return Ports{HTTP: ps[0], GRPC: ps[1], SecureGRPC: ps[2], Monitoring: ps[3], HTTPS: ps[4]}, nil
}

// Istiod is a pilot-discovery process of the pinned istio.io/istio module.
type Istiod struct {
	Ports   Ports
	LogPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
}

// Args are pilot-discovery's command line: the API server in kubeconfig,
// every listener on 127.0.0.1.
func (p Ports) Args(kubeconfig string) []string {
	addr := func(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
	return []string{"discovery", "--kubeconfig", kubeconfig,
		"--httpAddr", addr(p.HTTP), "--grpcAddr", addr(p.GRPC), "--secureGRPCAddr", addr(p.SecureGRPC),
		"--monitoringAddr", addr(p.Monitoring), "--httpsAddr", addr(p.HTTPS)}
}

// istiodEnv is what the chart's Deployment gives istiod that a local process
// needs: its namespace and revision, and a host name for its serving
// certificate (localhost, which the injection webhook's URL names;
// ISTIOD_CUSTOM_HOST joins the certificate's names: pilot/pkg/bootstrap/server.go,
// getDNSNames). And a 10ms push debounce instead of 100ms
// (pilot/pkg/features/tuning.go, PILOT_DEBOUNCE_AFTER): it only batches
// pushes, the config pushed is the same; Istio's own fake discovery server
// disables it "to reduce test times" (pilot/test/xds/fake.go).
func istiodEnv() []string {
	return []string{"POD_NAMESPACE=" + istio.Namespace, "REVISION=default", "ISTIOD_CUSTOM_HOST=localhost", "PILOT_DEBOUNCE_AFTER=10ms"}
}

// Start runs binary with args in dir (istiod writes relative paths there),
// its output in dir/istiod.log, and waits until its /ready answers. It fails,
// with the log's last lines, when istiod exits first or is not ready in time.
func Start(ctx context.Context, binary, dir string, args []string, ports Ports, readyWithin time.Duration) (*Istiod, error) {
	logPath := filepath.Join(dir, "istiod.log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("istiod: %v", err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	cmd.Env = append(os.Environ(), istiodEnv()...)
	// Its own process group, so Stop reaches anything it starts; and killed
	// with its parent, so a test binary that dies (a panic in a test, which
	// skips every deferred Stop) leaves no istiod behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("istiod: start %s: %v", binary, err)
	}
	d := &Istiod{Ports: ports, LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		d.exitErr = cmd.Wait()
		_ = log.Close()
		close(d.exited)
	}()
	if err := d.awaitReady(ctx, readyWithin); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

func (d *Istiod) awaitReady(ctx context.Context, within time.Duration) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/ready", d.Ports.HTTP)
	deadline := time.Now().Add(within)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-d.exited:
			return fmt.Errorf("istiod exited while starting (%v): %s", d.exitErr, d.LastLogLines(3))
		case <-ctx.Done():
			return fmt.Errorf("istiod: start cancelled: %v", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("istiod not ready within %s (%s): %s", within, url, d.LastLogLines(3))
		}
	}
}

// Exited is closed when the process has ended.
func (d *Istiod) Exited() <-chan struct{} { return d.exited }

// Err says why a dead istiod ended, nil while it runs.
func (d *Istiod) Err() error {
	select {
	case <-d.exited:
		return fmt.Errorf("istiod exited (%v): %s", d.exitErr, d.LastLogLines(3))
	default:
		return nil
	}
}

// Stop ends istiod: SIGTERM, then SIGKILL after 5s. It is safe to call twice.
func (d *Istiod) Stop() {
	select {
	case <-d.exited:
		return
	default:
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
	}
}

// LastLogLines are the log's last n non-empty lines joined into one, for errors.
func (d *Istiod) LastLogLines(n int) string {
	b, err := os.ReadFile(d.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "(empty log)"
	}
	return strings.Join(lines, " | ")
}

// Pid is the process id, for tests that kill istiod behind its back.
func (d *Istiod) Pid() int { return d.cmd.Process.Pid }
