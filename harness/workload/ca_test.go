package workload

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/curl"
)

func TestIssuedCertificateVerifiesForEveryHost(t *testing.T) {
	ca, err := NewCA("abcd1234")
	require.NoError(t, err)
	certPEM, keyPEM, err := ca.Issue("www.tetrate.io", "tetrate.io")
	require.NoError(t, err)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(ca.CertPEM))
	for _, host := range []string{"www.tetrate.io", "tetrate.io"} {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots})
		assert.NoError(t, err, host)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "evil.example", Roots: roots})
	assert.Error(t, err)
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "www.tetrate.io"})
	assert.Error(t, err, "system roots must not trust the run's CA")

	other, err := NewCA("other")
	require.NoError(t, err)
	assert.NotEqual(t, ca.CertPEM, other.CertPEM, "a CA per run")
}

// TestLocalCurlTrustsTheRunCA serves the issued certificate locally and has
// the local curl reach it as www.tetrate.io with the command the client pod
// runs: what the hermetic host and the client's --cacert do in the cluster.
func TestLocalCurlTrustsTheRunCA(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is not on PATH: this test runs the client pod's curl command locally; install it (apt-get install curl, as .ci/run does)")
	}
	ca, err := NewCA("local")
	require.NoError(t, err)
	certPEM, keyPEM, err := ca.Issue("www.tetrate.io", "tetrate.io")
	require.NoError(t, err)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	caFile := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(caFile, ca.CertPEM, 0o600))
	run := func(opts curl.Options) curl.Result {
		argv := curl.Command("https://www.tetrate.io:"+port+"/", opts)
		argv = append(argv[:1], append([]string{"--resolve", "www.tetrate.io:" + port + ":127.0.0.1"}, argv[1:]...)...)
		var out bytes.Buffer
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout = &out
		_ = cmd.Run()
		r, err := curl.Parse(out.Bytes())
		require.NoError(t, err, out.String())
		return r
	}
	ok := run(curl.Options{CACert: caFile})
	assert.Equal(t, curl.ExitOK, ok.ExitCode, ok.ErrorMessage)
	assert.Equal(t, 200, ok.Status)
	untrusted := run(curl.Options{})
	assert.Equal(t, curl.ExitCertificateFail, untrusted.ExitCode, "without the run's CA, curl must refuse the host")
}
