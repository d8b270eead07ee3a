package judge

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"istio.io/istio/pilot/pkg/simulation"

	"istio-egress-conformance/harness/envoyroute"
	"istio-egress-conformance/scenarios"
)

// externalAddress stands for the public address the client resolves the
// external host to. It matches no mesh listener, as a real Internet address would not.
const externalAddress = "203.0.113.10"

// call turns a check's URL into the connection the client's curl makes, as
// seen by the sidecar after iptables redirection.
func call(c scenarios.Check) (simulation.Call, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return simulation.Call{}, err
	}
	port := 80
	tls := simulation.Plaintext
	if u.Scheme == "https" {
		port, tls = 443, simulation.TLS
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return simulation.Call{}, fmt.Errorf("url %q: port %q is not a number", c.URL, p)
		}
	}
	host := u.Hostname()
	sni := ""
	if tls == simulation.TLS {
		sni = host
	}
	hostHeader := host
	if u.Port() != "" {
		hostHeader = net.JoinHostPort(host, u.Port())
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return simulation.Call{
		Address:    externalAddress,
		Port:       port,
		Path:       path,
		Protocol:   simulation.HTTP,
		TLS:        tls,
		HostHeader: hostHeader,
		Sni:        sni,
		CallMode:   simulation.CallModeOutbound,
	}, nil
}

// httpRequest is the HTTP request curl makes for the check over the
// connection in: its method (HEAD, curl -I, by default), scheme, Host, path
// with query, and the check's headers.
func httpRequest(c scenarios.Check, in simulation.Call) envoyroute.Request {
	req := envoyroute.Request{Method: c.RequestMethod(), Scheme: "http", Authority: in.HostHeader, Path: in.Path, Headers: map[string]string{}}
	if u, err := url.Parse(c.URL); err == nil {
		req.Scheme = u.Scheme
		if u.RawQuery != "" {
			req.Path += "?" + u.RawQuery
		}
	}
	for k, v := range c.Headers {
		req.Headers[strings.ToLower(k)] = v
	}
	return req
}

// sniFromHost is what Envoy's auto_sni sends for a Host header: the host
// without its port, and nothing for an IP address (envoy
// source/common/router/router.cc, Filter::decodeHeaders: parseAuthority,
// is_ip_address_).
func sniFromHost(hostHeader string) string {
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return ""
	}
	return host
}
