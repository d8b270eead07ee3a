package curl

import (
	"bytes"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.out from the local curl")

func TestCommand(t *testing.T) {
	assert.Equal(t, []string{"curl", "--silent", "--show-error", "--dump-header", "-", "--output", "/dev/null",
		"--write-out", "\n<<<curl-json>>>%{json}", "--max-time", "10", "--head", "http://www.tetrate.io"},
		Command("http://www.tetrate.io", Options{}))
	got := Command("https://www.tetrate.io", Options{Method: "GET", MaxTime: 1500 * time.Millisecond, CACert: "/etc/egress-ca/ca.crt"})
	assert.Equal(t, []string{"--max-time", "1.5", "--request", "GET", "--cacert", "/etc/egress-ca/ca.crt", "https://www.tetrate.io"}, got[9:])
	got = Command("http://httpbin.org/status/418", Options{Method: "POST", Headers: map[string]string{"x-b": "2", "end-user": "jason", "x-empty": ""}})
	assert.Equal(t, []string{"--request", "POST", "--header", "end-user: jason", "--header", "x-b: 2", "--header", "x-empty;", "http://httpbin.org/status/418"}, got[11:], "headers in name order; an empty one as curl sends it")
	assert.NotContains(t, got, "-k")
	assert.NotContains(t, got, "--insecure")
	assert.NotContains(t, got, "--fail")
}

// localCase is a request to a local server whose curl output is captured into
// testdata/<name>.out and parsed back.
type localCase struct {
	name    string
	handler http.HandlerFunc
	tls     bool
	// plainServerTLSURL sends https:// to a plain HTTP server: a TLS handshake error.
	plainServerTLSURL bool
	// resetOnAccept sends https:// to a TCP server that resets each connection
	// at once, as a sidecar's tcp_proxy to the BlackHoleCluster does.
	resetOnAccept bool
	opts          Options
	check         func(t *testing.T, r Result)
}

var localCases = []localCase{
	{
		// What Envoy's router answers a redirect route with (a local reply:
		// server envoy, no x-envoy-upstream-service-time, the Location).
		name: "http-302-envoy-redirect",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Server", "envoy")
			w.Header().Set("Location", "http://httpbin.org/new?x=1")
			w.WriteHeader(302)
		},
		check: func(t *testing.T, r Result) {
			assert.Equal(t, 302, r.Status)
			assert.True(t, r.AnsweredByEnvoy())
		},
	},
	{
		// A check's method and headers (route matchers see both) reach the host.
		name: "http-method-and-headers",
		handler: func(w http.ResponseWriter, r *http.Request) {
			_, empty := r.Header["X-Empty"]
			if r.Method != "DELETE" || r.Header.Get("End-User") != "jason" || r.Header.Get("X-Trace") != "on" || !empty {
				w.WriteHeader(400)
				return
			}
			w.WriteHeader(202)
		},
		opts: Options{Method: "DELETE", Headers: map[string]string{"x-trace": "on", "end-user": "jason", "x-empty": ""}},
		check: func(t *testing.T, r Result) {
			assert.Equal(t, ExitOK, r.ExitCode)
			assert.Equal(t, 202, r.Status, "the server saw the method and the headers, the empty one too")
		},
	},
	{
		name:    "http-200",
		handler: func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("Server", "Apache"); w.WriteHeader(200) },
		check: func(t *testing.T, r Result) {
			assert.Equal(t, ExitOK, r.ExitCode)
			assert.Equal(t, 200, r.Status)
			assert.Equal(t, "apache", r.Server())
			assert.False(t, r.AnsweredByEnvoy())
			assert.False(t, r.ThroughEnvoyRoute())
		},
	},
	{
		name:    "https-200",
		tls:     true,
		handler: func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("Server", "Apache"); w.WriteHeader(200) },
		check: func(t *testing.T, r Result) {
			assert.Equal(t, ExitOK, r.ExitCode)
			assert.Equal(t, 200, r.Status)
			assert.Equal(t, "2", r.HTTPVersion)
			assert.False(t, r.ThroughEnvoyRoute())
		},
	},
	{
		// What the seed shows for http://www.tetrate.io: a 504 that the sidecar wrote.
		name: "http-504-envoy",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Server", "envoy")
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "24")
			w.WriteHeader(504)
			_, _ = w.Write([]byte("upstream request timeout"))
		},
		opts: Options{Method: "GET"},
		check: func(t *testing.T, r Result) {
			assert.Equal(t, ExitOK, r.ExitCode)
			assert.Equal(t, 504, r.Status)
			assert.True(t, r.AnsweredByEnvoy())
			assert.True(t, r.ThroughEnvoyRoute())
			assert.Equal(t, int64(24), r.BodySize)
			assert.Equal(t, "text/plain", r.Headers.Get("content-type"))
		},
	},
	{
		name: "http-200-through-envoy-route",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set(UpstreamServiceTimeHeader, "12")
			w.WriteHeader(200)
		},
		check: func(t *testing.T, r Result) {
			assert.Equal(t, 200, r.Status)
			assert.False(t, r.AnsweredByEnvoy())
			assert.True(t, r.ThroughEnvoyRoute())
		},
	},
	{
		// What the origination control shows through a mesh route: the sidecar
		// overwrites the host's Server header with "envoy" (Istio's outbound
		// HCM), the router adds its service time, and the hermetic host's own
		// header comes through.
		name: "http-200-upstream-via-mesh-route",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Server", "envoy")
			w.Header().Set(UpstreamServiceTimeHeader, "4")
			w.Header().Set(HermeticServerHeader, "hermetic-server")
			w.WriteHeader(200)
		},
		check: func(t *testing.T, r Result) {
			assert.Equal(t, 200, r.Status)
			assert.Equal(t, "envoy", r.Server())
			assert.False(t, r.AnsweredByEnvoy(), "server: envoy is stamped on every mesh-routed answer")
			assert.True(t, r.FromUpstream())
			assert.True(t, r.ThroughEnvoyRoute())
		},
	},
	{
		name:    "timeout-28",
		handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		opts:    Options{MaxTime: 300 * time.Millisecond},
		check: func(t *testing.T, r Result) {
			assert.Equal(t, ExitTimeout, r.ExitCode)
			assert.Equal(t, 0, r.Status)
			assert.Contains(t, r.ErrorMessage, "timed out")
			assert.GreaterOrEqual(t, r.Duration, 250*time.Millisecond)
		},
	},
	{
		name:              "tls-error-35",
		handler:           func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) },
		plainServerTLSURL: true,
		check: func(t *testing.T, r Result) {
			assert.Equal(t, ExitTLSHandshake, r.ExitCode)
			assert.Equal(t, 0, r.Status)
			assert.NotEmpty(t, r.ErrorMessage)
		},
	},
	{
		// REGISTRY_ONLY: the sidecar's listener filters (tls_inspector) peek
		// at the ClientHello to pick a filter chain; the catch-all chain's
		// tcp_proxy has no host in the BlackHoleCluster and closes the
		// connection without reading it (Envoy source/common/tcp_proxy/tcp_proxy.cc,
		// Filter::onInitFailure: close(NoFlush) while reads are disabled).
		// Closing a socket with unread data resets it, so curl's TLS handshake
		// meets a reset.
		name:          "https-blackhole-35",
		resetOnAccept: true,
		check: func(t *testing.T, r Result) {
			assert.Equal(t, ExitTLSHandshake, r.ExitCode)
			assert.Equal(t, 0, r.Status)
			assert.NotEmpty(t, r.ErrorMessage)
		},
	},
}

// TestLocalCurl runs the command Command builds with this machine's curl
// against local servers, and parses what it printed.
func TestLocalCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is not on PATH: this test runs the client pod's curl command locally; install it (apt-get install curl, as .ci/run does)")
	}
	for _, tc := range localCases {
		t.Run(tc.name, func(t *testing.T) {
			out := runLocal(t, tc)
			r, err := Parse(out)
			require.NoError(t, err, string(out))
			tc.check(t, r)
			if *update {
				require.NoError(t, os.WriteFile(filepath.Join("testdata", tc.name+".out"), out, 0o644))
			}
		})
	}
}

// TestCapturedOutput parses output captured earlier by TestLocalCurl -update.
func TestCapturedOutput(t *testing.T) {
	for _, tc := range localCases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", tc.name+".out"))
			require.NoError(t, err)
			r, err := Parse(out)
			require.NoError(t, err)
			tc.check(t, r)
		})
	}
}

func runLocal(t *testing.T, tc localCase) []byte {
	if tc.resetOnAccept {
		return runCurl(t, "https://"+resetServer(t)+"/", tc.opts)
	}
	srv := httptest.NewUnstartedServer(tc.handler)
	opts := tc.opts
	url := "http://"
	if tc.tls {
		srv.EnableHTTP2 = true
		srv.StartTLS()
		ca := filepath.Join(t.TempDir(), "ca.crt")
		require.NoError(t, os.WriteFile(ca, pemCert(srv), 0o600))
		opts.CACert = ca
		url = "https://"
	} else {
		srv.Start()
		if tc.plainServerTLSURL {
			url = "https://"
		}
	}
	defer srv.Close()
	return runCurl(t, url+srv.Listener.Addr().String()+"/", opts)
}

func runCurl(t *testing.T, url string, opts Options) []byte {
	argv := Command(url, opts)
	var stdout bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = &stdout
	_ = cmd.Run() // a non-zero exit is part of the observation, read from the output
	return stdout.Bytes()
}

// resetServer accepts TCP connections and, once the client has sent its first
// bytes (the ClientHello), resets each one without reading them.
func resetServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, _ = c.Read(make([]byte, 1)) // the client is now in its handshake
				_ = c.(*net.TCPConn).SetLinger(0)
				_ = c.Close()
			}()
		}
	}()
	return l.Addr().String()
}

func TestParseRejectsGarbage(t *testing.T) {
	good, err := os.ReadFile("testdata/http-504-envoy.out")
	require.NoError(t, err)
	cases := map[string]struct{ out, want string }{
		"empty":            {"", "no \"<<<curl-json>>>\" write-out line"},
		"shell error":      {"sh: curl: not found\n", "sh: curl: not found"},
		"broken json":      {"HTTP/1.1 200 OK\r\n\r\n\n<<<curl-json>>>{\"exitcode\":", "not valid JSON"},
		"no exitcode":      {"\n<<<curl-json>>>{\"http_code\":200}", "no exitcode field"},
		"negative time":    {"\n<<<curl-json>>>{\"exitcode\":0,\"time_total\":-1}", "impossible values"},
		"bad status line":  {"HTTP/1.1 abc\r\n\r\n\n<<<curl-json>>>{\"exitcode\":0,\"http_code\":200}", "no valid status code"},
		"headers only":     {"server: envoy\r\n\n<<<curl-json>>>{\"exitcode\":0,\"http_code\":200}", "no HTTP status line"},
		"disagreeing code": {strings.Replace(string(good), `"http_code":504`, `"http_code":200`, 1), "status line says 504, http_code says 200"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.out))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// FuzzParse: see the seed corpus in testdata/fuzz/FuzzParse; the repository's own files are added to it.
func FuzzParse(f *testing.F) {
	for _, tc := range localCases {
		if out, err := os.ReadFile(filepath.Join("testdata", tc.name+".out")); err == nil {
			f.Add(out)
		}
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		r, err := Parse(out)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "one line")
			return
		}
		assert.GreaterOrEqual(t, r.Status, 0)
		assert.NotNil(t, r.Headers)
		_ = r.String()
	})
}
