package envoyroute

import (
	"fmt"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// Actions a matched request ends in.
const (
	// ActionCluster is a route to one cluster, or to weighted clusters.
	ActionCluster = "cluster"
	// ActionRedirect is Envoy's redirect: it answers with RedirectStatus.
	ActionRedirect = "redirect"
	// ActionDirect is Envoy's direct_response: it answers with DirectStatus.
	ActionDirect = "direct"
	// ActionNoRoute is a request no route of its virtual host (or no virtual
	// host) matches: Envoy's router answers 404 itself (source/common/router/
	// router.cc, Filter::decodeHeaders: "route_not_found", response flag NR).
	ActionNoRoute = "no-route"
)

// NoRouteStatus is what Envoy answers a request no route matches.
const NoRouteStatus = 404

// Outcome is what Envoy's router does with a request in one route configuration.
type Outcome struct {
	VirtualHost string
	// Route is the matched route, nil with ActionNoRoute; Index its place in
	// the virtual host.
	Route *route.Route
	Index int
	// Action is one of the Action constants.
	Action string
	// Clusters are where ActionCluster sends the request, with their
	// weights (one cluster has weight 1 of 1).
	Clusters []WeightedCluster
	// RedirectStatus and Location are ActionRedirect's answer.
	RedirectStatus int
	Location       string
	// DirectStatus is ActionDirect's answer.
	DirectStatus int
	// Fault is the route's fault injection; nil without one.
	Fault *Fault
	// HostRewrite is the Host the route sends upstream instead of the
	// request's; empty when it keeps it.
	HostRewrite string
}

// WeightedCluster is one cluster of a route and its share of the requests.
type WeightedCluster struct {
	Name string
	// Weight is out of the route's total weight.
	Weight, Total uint32
}

// Evaluate follows the request through the route configuration.
func Evaluate(rc *route.RouteConfiguration, req Request) (Outcome, error) {
	vh := virtualHost(rc.GetVirtualHosts(), req.Authority)
	if vh == nil {
		return Outcome{Action: ActionNoRoute, Index: -1}, nil
	}
	out := Outcome{VirtualHost: vh.GetName(), Index: -1, Action: ActionNoRoute}
	for i, r := range vh.GetRoutes() {
		ok, err := matches(r.GetMatch(), req)
		if err != nil {
			return Outcome{}, fmt.Errorf("virtual host %s, route %d (%s): %v", vh.GetName(), i, orUnnamed(r.GetName()), err)
		}
		if !ok {
			continue
		}
		out.Route, out.Index = r, i
		if err := out.readAction(r, req); err != nil {
			return Outcome{}, fmt.Errorf("virtual host %s, route %d (%s): %v", vh.GetName(), i, orUnnamed(r.GetName()), err)
		}
		return out, nil
	}
	return out, nil
}

func orUnnamed(name string) string {
	if name == "" {
		return "unnamed"
	}
	return name
}

// virtualHost is the virtual host Envoy picks for a Host (config_impl.cc,
// RouteMatcher::findVirtualHost): lowercased, an exact domain first, then the
// longest suffix wildcard ("*.example.com", matching one or more characters
// before the suffix), then the longest prefix wildcard ("example.*"), then
// "*"; nil when none matches.
func virtualHost(vhosts []*route.VirtualHost, authority string) *route.VirtualHost {
	host := strings.ToLower(authority)
	var suffixBest, prefixBest, any *route.VirtualHost
	suffixLen, prefixLen := -1, -1
	for _, vh := range vhosts {
		for _, d := range vh.GetDomains() {
			d = strings.ToLower(d)
			switch {
			case d == "*":
				if any == nil {
					any = vh
				}
			case strings.HasPrefix(d, "*"):
				suffix := d[1:]
				if len(host) > len(suffix) && strings.HasSuffix(host, suffix) && len(suffix) > suffixLen {
					suffixBest, suffixLen = vh, len(suffix)
				}
			case strings.HasSuffix(d, "*"):
				prefix := d[:len(d)-1]
				if len(host) > len(prefix) && strings.HasPrefix(host, prefix) && len(prefix) > prefixLen {
					prefixBest, prefixLen = vh, len(prefix)
				}
			case d == host:
				return vh
			}
		}
	}
	switch {
	case suffixBest != nil:
		return suffixBest
	case prefixBest != nil:
		return prefixBest
	}
	return any
}
