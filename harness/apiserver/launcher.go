package apiserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// binaries are what envtest starts.
var binaries = []string{"kube-apiserver", "etcd"}

// writeLaunchers writes, into dir, one launcher per binary under the name
// envtest looks for. Each runs the real binary under `setpriv --pdeathsig
// KILL` (util-linux): the kernel kills kube-apiserver and etcd when the
// process that started them dies, however it dies (SIGKILL, a panic outside
// a cleanup, a CI job killed at its limit). envtest itself starts them in a
// process group of their own (controller-runtime pkg/internal/testing/process,
// GetSysProcAttr: Setpgid) and offers no hook for a parent-death signal, so
// the launcher sets it and execs: same pid, same parent, envtest's SIGTERM on
// Stop still reaches the binary. PR_SET_PDEATHSIG survives execve for a
// binary that is not set-user-ID (prctl(2)).
func writeLaunchers(dir, assets string) (string, error) {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return "", fmt.Errorf("setpriv not found on PATH: it ties kube-apiserver and etcd to the test process (apt-get install util-linux)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, bin := range binaries {
		real, err := filepath.Abs(filepath.Join(assets, bin))
		if err != nil {
			return "", err
		}
		script := fmt.Sprintf("#!/bin/sh\nexec %q --pdeathsig KILL -- %q \"$@\"\n", setpriv, real)
		if err := os.WriteFile(filepath.Join(dir, bin), []byte(script), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}
