package envoyroute

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// readAction reads the matched route's action and fault.
func (o *Outcome) readAction(r *route.Route, req Request) error {
	fault, err := routeFault(r)
	if err != nil {
		return err
	}
	o.Fault = fault
	switch a := r.GetAction().(type) {
	case *route.Route_Route:
		o.Action = ActionCluster
		o.HostRewrite = a.Route.GetHostRewriteLiteral()
		return o.readClusters(a.Route)
	case *route.Route_Redirect:
		o.Action = ActionRedirect
		var err error
		o.RedirectStatus, o.Location, err = redirect(a.Redirect, req)
		return err
	case *route.Route_DirectResponse:
		o.Action, o.DirectStatus = ActionDirect, int(a.DirectResponse.GetStatus())
		return nil
	}
	return fmt.Errorf("route action %T: not followed", r.GetAction())
}

// readClusters reads where a route action sends the request: one cluster,
// or weighted clusters, each with its weight out of their sum (api/envoy/
// config/route/v3/route_components.proto, WeightedCluster: total_weight is
// the sum of the weights; a cluster of weight 0 gets no request).
func (o *Outcome) readClusters(a *route.RouteAction) error {
	switch s := a.GetClusterSpecifier().(type) {
	case *route.RouteAction_Cluster:
		o.Clusters = []WeightedCluster{{Name: s.Cluster, Weight: 1, Total: 1}}
		return nil
	case *route.RouteAction_WeightedClusters:
		var total uint32
		for _, c := range s.WeightedClusters.GetClusters() {
			total += c.GetWeight().GetValue()
		}
		for _, c := range s.WeightedClusters.GetClusters() {
			o.Clusters = append(o.Clusters, WeightedCluster{Name: c.GetName(), Weight: c.GetWeight().GetValue(), Total: total})
		}
		return nil
	}
	return fmt.Errorf("cluster specifier %T: not followed", a.GetClusterSpecifier())
}

// redirect is Envoy's answer to a redirect route: response_code
// MOVED_PERMANENTLY (301) by default, FOUND 302, SEE_OTHER 303,
// TEMPORARY_REDIRECT 307, PERMANENT_REDIRECT 308 (api/envoy/config/route/v3/
// route_components.proto, RedirectAction), and a Location built as
// source/common/http/utility.cc newUri builds it: the scheme_redirect (or
// https with https_redirect) else the request's; host_redirect else the
// request's Host, whose port goes with a port_redirect, or with a scheme
// change from its default port; path_redirect, keeping the request's query
// unless it has its own, else the request's path; strip_query drops the query.
func redirect(r *route.RedirectAction, req Request) (int, string, error) {
	if r.GetPrefixRewrite() != "" || r.GetRegexRewrite() != nil {
		return 0, "", fmt.Errorf("redirect with a prefix or regex rewrite: not followed")
	}
	status := map[route.RedirectAction_RedirectResponseCode]int{
		route.RedirectAction_MOVED_PERMANENTLY:  301,
		route.RedirectAction_FOUND:              302,
		route.RedirectAction_SEE_OTHER:          303,
		route.RedirectAction_TEMPORARY_REDIRECT: 307,
		route.RedirectAction_PERMANENT_REDIRECT: 308,
	}[r.GetResponseCode()]
	scheme := req.Scheme
	if s := r.GetSchemeRedirect(); s != "" {
		scheme = s
	} else if r.GetHttpsRedirect() {
		scheme = "https"
	}
	host := req.Authority
	if h := r.GetHostRedirect(); h != "" {
		host = h
	}
	port := ""
	if p := r.GetPortRedirect(); p != 0 {
		host, port = withoutPort(host), ":"+strconv.Itoa(int(p))
	} else if scheme != req.Scheme && (req.Scheme == "http" && strings.HasSuffix(host, ":80") || req.Scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = withoutPort(host)
	}
	path := req.Path
	if p := r.GetPathRedirect(); p != "" {
		path = p
		if _, query, ok := strings.Cut(req.Path, "?"); ok && !strings.Contains(p, "?") && !r.GetStripQuery() {
			path += "?" + query
		}
	} else if r.GetStripQuery() {
		path, _, _ = strings.Cut(path, "?")
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return status, scheme + "://" + host + port + path, nil
}

// withoutPort is a host[:port] without its port.
func withoutPort(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
