// Package command runs external tools (go tool kind/helm, docker) with an
// explicit argv, so that command lines are data a test can check.
package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
)

// Runner runs one command and returns its standard output.
type Runner interface {
	Run(ctx context.Context, argv ...string) ([]byte, error)
}

// Exec runs commands on this machine.
type Exec struct{}

// Run executes argv; a failure names the command, its exit status and the
// last line of its standard error.
func (Exec) Run(ctx context.Context, argv ...string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("command: empty argv")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, lastLine(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return "(no error output)"
	}
	return last
}

// Recorder is a Runner for tests: it records every argv and answers from Replies.
type Recorder struct {
	Calls [][]string
	// Replies maps a command line (argv joined by spaces) to its output and error;
	// a command without a reply succeeds with no output.
	Replies map[string]Reply
}

// Reply is a scripted answer of a Recorder.
type Reply struct {
	Out []byte
	Err error
}

// Run records argv and returns the scripted reply.
func (r *Recorder) Run(_ context.Context, argv ...string) ([]byte, error) {
	r.Calls = append(r.Calls, argv)
	reply := r.Replies[strings.Join(argv, " ")]
	return reply.Out, reply.Err
}

// Lines returns the recorded commands, one string each.
func (r *Recorder) Lines() []string {
	out := make([]string, len(r.Calls))
	for i, c := range r.Calls {
		out[i] = strings.Join(c, " ")
	}
	return out
}

// SyncBuffer collects a child process's output while another goroutine reads
// it (the signal tests watch a child's progress lines).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
