package curl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Exit codes of curl that checks meet most often.
const (
	ExitOK              = 0
	ExitResolve         = 6
	ExitConnect         = 7
	ExitTimeout         = 28
	ExitTLSHandshake    = 35
	ExitRecvError       = 56
	ExitCertificateFail = 60
)

// hints say, for a failed check, what a curl exit code usually means in this harness.
var hints = map[int]string{
	ExitResolve:         "the host did not resolve: does the client pod's hostAliases (hermetic) or the cluster's DNS (internet) know it?",
	ExitConnect:         "nothing accepted the connection: is the external host up, and the sidecar's outbound policy ALLOW_ANY?",
	ExitTimeout:         "no answer in time",
	ExitTLSHandshake:    "the TLS handshake failed",
	ExitRecvError:       "the connection was reset while reading the answer",
	ExitCertificateFail: "the server certificate was not trusted: in hermetic mode curl trusts only the run's CA",
}

// Hint explains the exit code for a failure message; "" when it has nothing to add.
func (r Result) Hint() string {
	return hints[r.ExitCode]
}

// Result is one curl run as curl itself reported it.
type Result struct {
	// ExitCode is curl's exit code: 0, or 28 (timeout), 35 (TLS handshake), 6 (DNS) ...
	ExitCode int `json:"exitCode" yaml:"exitCode"`
	// ErrorMessage is curl's error text when ExitCode is not 0.
	ErrorMessage string `json:"errorMessage,omitempty" yaml:"errorMessage,omitempty"`
	// Status is the HTTP status of the last response; 0 when none arrived.
	Status      int    `json:"status" yaml:"status"`
	HTTPVersion string `json:"httpVersion,omitempty" yaml:"httpVersion,omitempty"`
	// Headers are the last response's headers.
	Headers  http.Header   `json:"headers,omitempty" yaml:"headers,omitempty"`
	BodySize int64         `json:"bodySize" yaml:"bodySize"`
	Duration time.Duration `json:"duration" yaml:"duration"`
	RemoteIP string        `json:"remoteIP,omitempty" yaml:"remoteIP,omitempty"`
}

// Server is the response's server header, lower-cased.
func (r Result) Server() string {
	return strings.ToLower(r.Headers.Get("Server"))
}

// Headers that tell who answered.
const (
	// UpstreamServiceTimeHeader is added by Envoy's router to a response that
	// came from an upstream, never to one the sidecar made itself (a timeout's
	// 504): Envoy source/common/router/router.cc, Filter::onUpstreamHeaders,
	// unless the router sets suppress_envoy_headers, which Istio leaves off.
	UpstreamServiceTimeHeader = "X-Envoy-Upstream-Service-Time"
	// HermeticServerHeader is stamped by the hermetic external host on every
	// answer: positive proof that the host, not the sidecar, answered.
	HermeticServerHeader = "X-Egress-Conformance-Server"
)

// AnsweredByEnvoy reports a response the sidecar made itself, like the seed's
// 504: server: envoy, and no sign of an upstream. server: envoy alone proves
// nothing: Istio's outbound HTTP connection manager overwrites the Server
// header of every response that crosses a mesh route (server_header_transformation
// OVERWRITE, server name left empty so Envoy's default "envoy" applies: Istio
// pilot/pkg/networking/util/proxy_headers.go, GetProxyHeadersFromProxyConfig).
func (r Result) AnsweredByEnvoy() bool {
	return r.Server() == "envoy" && !r.FromUpstream()
}

// FromUpstream reports a response that carries an upstream's mark: the
// router's service time header, or the hermetic host's own header.
func (r Result) FromUpstream() bool {
	return r.Headers.Get(UpstreamServiceTimeHeader) != "" || r.Headers.Get(HermeticServerHeader) != ""
}

// ThroughEnvoyRoute reports a response that crossed an HTTP route of the
// sidecar: server: envoy (overwritten on every mesh-routed response, or made
// by the sidecar), or the router's service time header. A passthrough
// (TCP-proxied) response has neither.
func (r Result) ThroughEnvoyRoute() bool {
	return r.Server() == "envoy" || r.Headers.Get(UpstreamServiceTimeHeader) != ""
}

// String is a one-line summary for attempt logs.
func (r Result) String() string {
	if r.ExitCode != ExitOK {
		return fmt.Sprintf("curl exit %d (%s) after %s", r.ExitCode, r.ErrorMessage, r.Duration.Round(time.Millisecond))
	}
	s := fmt.Sprintf("%d", r.Status)
	if server := r.Server(); server != "" {
		s += " server=" + server
	}
	if v := r.Headers.Get(UpstreamServiceTimeHeader); v != "" {
		s += " x-envoy-upstream-service-time=" + v
	}
	return s + fmt.Sprintf(" body=%dB in %s", r.BodySize, r.Duration.Round(time.Millisecond))
}

// writeOut is the part of curl's %{json} write-out a Result needs.
type writeOut struct {
	ExitCode     *int    `json:"exitcode"`
	ErrorMessage string  `json:"errormsg"`
	HTTPCode     int     `json:"http_code"`
	HTTPVersion  string  `json:"http_version"`
	SizeDownload int64   `json:"size_download"`
	TimeTotal    float64 `json:"time_total"`
	RemoteIP     string  `json:"remote_ip"`
}

// Parse reads what Command's curl printed on stdout. It fails, naming what is
// missing, on output that is not curl's (a shell error, a truncated stream).
func Parse(stdout []byte) (Result, error) {
	i := bytes.LastIndex(stdout, []byte(jsonMarker))
	if i < 0 {
		return Result{}, fmt.Errorf("curl output has no %q write-out line (is this curl >= 7.75 run by curl.Command?): %s", jsonMarker, excerpt(stdout))
	}
	var wo writeOut
	dec := json.NewDecoder(bytes.NewReader(stdout[i+len(jsonMarker):]))
	if err := dec.Decode(&wo); err != nil {
		return Result{}, fmt.Errorf("curl %%{json} write-out is not valid JSON: %v: %s", err, excerpt(stdout[i:]))
	}
	if wo.ExitCode == nil {
		return Result{}, fmt.Errorf("curl %%{json} write-out has no exitcode field (curl >= 7.75 needed): %s", excerpt(stdout[i:]))
	}
	if wo.TimeTotal < 0 || wo.HTTPCode < 0 || wo.HTTPCode > 999 {
		return Result{}, fmt.Errorf("curl %%{json} write-out has impossible values (http_code %d, time_total %v)", wo.HTTPCode, wo.TimeTotal)
	}
	r := Result{
		ExitCode:     *wo.ExitCode,
		ErrorMessage: wo.ErrorMessage,
		Status:       wo.HTTPCode,
		HTTPVersion:  wo.HTTPVersion,
		BodySize:     wo.SizeDownload,
		Duration:     time.Duration(wo.TimeTotal * float64(time.Second)),
		RemoteIP:     wo.RemoteIP,
	}
	status, headers, err := lastHeaderBlock(stdout[:i])
	if err != nil {
		return Result{}, err
	}
	if status != 0 && status != r.Status {
		return Result{}, fmt.Errorf("curl output disagrees with itself: status line says %d, http_code says %d", status, r.Status)
	}
	r.Headers = headers
	return r, nil
}

// lastHeaderBlock parses the last "HTTP/x status" block that --dump-header
// wrote (earlier ones are 1xx or CONNECT responses).
func lastHeaderBlock(dump []byte) (int, http.Header, error) {
	text := string(dump)
	start := strings.LastIndex(text, "HTTP/")
	for start > 0 && text[start-1] != '\n' {
		start = strings.LastIndex(text[:start], "HTTP/")
	}
	if start < 0 {
		if strings.TrimSpace(text) != "" {
			return 0, nil, fmt.Errorf("curl header dump has no HTTP status line: %s", excerpt(dump))
		}
		return 0, http.Header{}, nil
	}
	reader := textproto.NewReader(bufio.NewReader(strings.NewReader(text[start:] + "\r\n")))
	statusLine, err := reader.ReadLine()
	if err != nil {
		return 0, nil, fmt.Errorf("curl header dump: unreadable status line: %v", err)
	}
	fields := strings.Fields(statusLine)
	if len(fields) < 2 {
		return 0, nil, fmt.Errorf("curl header dump: status line %q has no status code", statusLine)
	}
	status, err := strconv.Atoi(fields[1])
	if err != nil || status < 100 || status > 999 {
		return 0, nil, fmt.Errorf("curl header dump: status line %q has no valid status code", statusLine)
	}
	mime, err := reader.ReadMIMEHeader()
	if err != nil && len(mime) == 0 && !errors.Is(err, io.EOF) {
		return 0, nil, fmt.Errorf("curl header dump: unreadable headers: %v", err)
	}
	return status, http.Header(mime), nil
}

func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(empty output)"
	}
	return fmt.Sprintf("%q", s)
}
