// Package envoyroute follows Envoy's router for one HTTP request through one
// route configuration, as Envoy would act on the config Istio generated:
// the virtual host by Envoy's domain rules, the routes in order (the first
// match wins) on path, headers (the pseudo-headers :method, :authority and
// :scheme among them) and query parameters, then the matched route's action
// (one cluster, weighted clusters, a redirect, a direct response, or Envoy's
// own 404 when no route matches) and the fault filter's per-route config.
// Istio's simulation (pilot/pkg/simulation) picks the listener and filter
// chain, where it is faithful, and stops there: it matches routes on the
// path only ("TODO this only handles path", traffic.go matchRoute). Each rule
// cites the Envoy source it follows; the package reads go-control-plane's
// types only, so it links no Istio and its tests sit beside it.
package envoyroute

import (
	"net/url"
	"strings"
)

// Request is one HTTP request as the sidecar's router sees it.
type Request struct {
	// Method, Scheme and Authority are the :method, :scheme and :authority
	// pseudo-headers (the Host header, with its port if the URL gave one).
	Method, Scheme, Authority string
	// Path is :path, with its query string.
	Path string
	// Headers are the request's other headers, by lowercase name.
	Headers map[string]string
}

// header is the request's value of a header, pseudo-headers included, and
// whether it has one. Envoy keys headers by lowercase name
// (envoy/http/header_map.h, LowerCaseString).
func (r Request) header(name string) (string, bool) {
	switch strings.ToLower(name) {
	case ":method":
		return r.Method, true
	case ":scheme":
		return r.Scheme, true
	case ":authority", "host":
		return r.Authority, true
	case ":path":
		return r.Path, true
	}
	v, ok := r.Headers[strings.ToLower(name)]
	return v, ok
}

// pathOnly is :path without its query string and fragment, what Envoy's
// exact, regex and path-separated-prefix matchers compare
// (source/common/http/path_utility.cc, PathUtil::removeQueryAndFragment).
func (r Request) pathOnly() string {
	p := r.Path
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

// query is the request's query parameters, as Envoy parses them
// (source/common/http/utility.cc, parseQueryString: first value wins).
func (r Request) query() map[string]string {
	out := map[string]string{}
	_, raw, ok := strings.Cut(r.Path, "?")
	if !ok {
		return out
	}
	raw, _, _ = strings.Cut(raw, "#")
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		if _, seen := out[k]; !seen {
			out[k] = v
		}
	}
	return out
}
