package envoyroute

import (
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	commonfault "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	fault "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The route configurations below are written as Istio's translation writes
// them (pilot/pkg/networking/core/route/route.go, TranslateRouteMatch and
// translateRoute): unnamed routes for unnamed VirtualService http routes,
// a prefix "/" catch-all, :method etc. as header matchers with string_match,
// case_sensitive set.

func prefix(p string) *route.RouteMatch {
	return &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: p}, CaseSensitive: wrapperspb.Bool(true)}
}

func toCluster(name string, timeout time.Duration) *route.Route_Route {
	return &route.Route_Route{Route: &route.RouteAction{ClusterSpecifier: &route.RouteAction_Cluster{Cluster: name}, Timeout: durationpb.New(timeout)}}
}

func exactHeader(name, value string) *route.HeaderMatcher {
	return &route.HeaderMatcher{Name: name, HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Exact{Exact: value}}}}
}

func config(vhosts ...*route.VirtualHost) *route.RouteConfiguration {
	return &route.RouteConfiguration{Name: "80", VirtualHosts: vhosts}
}

func httpbin(routes ...*route.Route) *route.VirtualHost {
	return &route.VirtualHost{Name: "httpbin.org:80", Domains: []string{"httpbin.org", "httpbin.org:80"}, Routes: routes}
}

func get(path string) Request {
	return Request{Method: "GET", Scheme: "http", Authority: "httpbin.org", Path: path}
}

// TestUnnamedRoutesInOrder: two unnamed routes (Istio leaves their names
// empty); the first that matches wins (route_components.proto: "The first
// route that matches will be used"), whatever the names.
func TestUnnamedRoutesInOrder(t *testing.T) {
	rc := config(httpbin(
		&route.Route{Match: prefix("/delay"), Action: toCluster("outbound|80||httpbin.org", time.Millisecond)},
		&route.Route{Match: prefix("/"), Action: toCluster("outbound|80||httpbin.org", 10*time.Second)},
	))
	out, err := Evaluate(rc, get("/headers"))
	require.NoError(t, err)
	assert.Equal(t, 1, out.Index)
	assert.Equal(t, 10*time.Second, out.Route.GetRoute().GetTimeout().AsDuration())
	out, err = Evaluate(rc, get("/delay/5?x=1"))
	require.NoError(t, err)
	assert.Equal(t, 0, out.Index)
}

// TestMethodAndHeaderMatchers: Istio's method match is a :method header
// matcher; curl -I sends HEAD, which a GET-only route does not take.
func TestMethodAndHeaderMatchers(t *testing.T) {
	getOnly := prefix("/")
	getOnly.Headers = []*route.HeaderMatcher{exactHeader(":method", "GET")}
	jason := prefix("/")
	jason.Headers = []*route.HeaderMatcher{exactHeader("end-user", "jason")}
	rc := config(httpbin(
		&route.Route{Match: jason, Action: toCluster("jason", 0)},
		&route.Route{Match: getOnly, Action: toCluster("get", 0)},
	))
	head := get("/")
	head.Method = "HEAD"
	out, err := Evaluate(rc, head)
	require.NoError(t, err)
	assert.Equal(t, ActionNoRoute, out.Action, "HEAD matches neither: Envoy's 404")
	out, err = Evaluate(rc, get("/"))
	require.NoError(t, err)
	assert.Equal(t, "get", out.Clusters[0].Name)
	asJason := get("/")
	asJason.Headers = map[string]string{"end-user": "jason"}
	out, err = Evaluate(rc, asJason)
	require.NoError(t, err)
	assert.Equal(t, "jason", out.Clusters[0].Name)
}

// TestAbsentHeaders follows header_utility.cc for a header the request does
// not have: only a presence matcher can match it (present_match false, or
// presence under invert_match), unless treat_missing_header_as_empty makes
// it "" (Istio's withoutHeaders: invert_match with treat_missing_header_as_empty).
func TestAbsentHeaders(t *testing.T) {
	req := get("/")
	cases := []struct {
		name string
		m    *route.HeaderMatcher
		want bool
	}{
		{"exact", exactHeader("end-user", "jason"), false},
		{"exact inverted", &route.HeaderMatcher{Name: "end-user", InvertMatch: true, HeaderMatchSpecifier: exactHeader("", "jason").HeaderMatchSpecifier}, false},
		{"exact inverted, missing as empty", &route.HeaderMatcher{Name: "end-user", InvertMatch: true, TreatMissingHeaderAsEmpty: true, HeaderMatchSpecifier: exactHeader("", "jason").HeaderMatchSpecifier}, true},
		{"present", &route.HeaderMatcher{Name: "end-user", HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}}, false},
		{"absent", &route.HeaderMatcher{Name: "end-user", HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: false}}, true},
		{"present inverted", &route.HeaderMatcher{Name: "end-user", InvertMatch: true, HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}}, true},
		{"no specifier", &route.HeaderMatcher{Name: "end-user"}, false},
	}
	for _, tc := range cases {
		got, err := headerMatches(tc.m, req)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
	withHeader := get("/")
	withHeader.Headers = map[string]string{"end-user": "Jason"}
	ci := &route.HeaderMatcher{Name: "End-User", HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Exact{Exact: "jason"}, IgnoreCase: true}}}
	got, err := headerMatches(ci, withHeader)
	require.NoError(t, err)
	assert.True(t, got, "names are case-insensitive; ignore_case folds the value")
}

// TestPathMatchers: prefix, exact, regex and path-separated prefix compare
// :path without its query; case_sensitive false folds all but the regex.
func TestPathMatchers(t *testing.T) {
	cases := []struct {
		name string
		m    *route.RouteMatch
		path string
		want bool
	}{
		{"prefix", prefix("/status"), "/status/418", true},
		{"prefix stops at the query", prefix("/a?b"), "/a?b", false},
		{"prefix is case-sensitive", prefix("/Status"), "/status", false},
		{"prefix folded", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/Status"}, CaseSensitive: wrapperspb.Bool(false)}, "/status", true},
		{"exact without the query", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/headers"}}, "/headers?a=1", true},
		{"exact is not a prefix", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/headers"}}, "/headers/x", false},
		{"regex is a full match", &route.RouteMatch{PathSpecifier: &route.RouteMatch_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: "/delay/[0-9]"}}}, "/delay/10", false},
		{"regex", &route.RouteMatch{PathSpecifier: &route.RouteMatch_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: "/delay/[0-9]+"}}}, "/delay/10?x", true},
		{"path-separated prefix, equal", &route.RouteMatch{PathSpecifier: &route.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: "/api"}}, "/api", true},
		{"path-separated prefix, segment", &route.RouteMatch{PathSpecifier: &route.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: "/api"}}, "/api/v1", true},
		{"path-separated prefix, not a segment", &route.RouteMatch{PathSpecifier: &route.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: "/api"}}, "/apiv1", false},
	}
	for _, tc := range cases {
		got, err := pathMatches(tc.m, get(tc.path))
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
}

func TestQueryParameters(t *testing.T) {
	present := &route.QueryParameterMatcher{Name: "debug", QueryParameterMatchSpecifier: &route.QueryParameterMatcher_PresentMatch{PresentMatch: true}}
	exact := &route.QueryParameterMatcher{Name: "v", QueryParameterMatchSpecifier: &route.QueryParameterMatcher_StringMatch{StringMatch: &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Exact{Exact: "2"}}}}
	for path, want := range map[string][2]bool{"/?debug&v=2": {true, true}, "/?v=1&v=2": {false, false}, "/": {false, false}} {
		q := get(path).query()
		p, _ := queryMatches(present, q)
		e, _ := queryMatches(exact, q)
		assert.Equal(t, want, [2]bool{p, e}, path)
	}
}

// TestVirtualHostByDomain: exact first, then the longest suffix wildcard
// (which must cover one character or more), then prefix wildcards, then "*";
// the port is part of the Host (ignore_port_in_host_matching is off).
func TestVirtualHostByDomain(t *testing.T) {
	vh := func(name string, domains ...string) *route.VirtualHost {
		return &route.VirtualHost{Name: name, Domains: domains}
	}
	vhosts := []*route.VirtualHost{vh("any", "*"), vh("short", "*.org"), vh("long", "*.httpbin.org"), vh("exact", "httpbin.org"), vh("prefix", "api.*")}
	for host, want := range map[string]string{"HTTPBIN.org": "exact", "eu.httpbin.org": "long", "example.org": "short", "api.example.com": "prefix", ".httpbin.org": "short", "example.com": "any", "httpbin.org:80": "any"} {
		assert.Equal(t, want, virtualHost(vhosts, host).GetName(), host)
	}
	assert.Nil(t, virtualHost(vhosts[1:], "example.com"))
}

// TestActions: weighted clusters with their shares (a weight of 0 gets
// nothing), a redirect's status and Location, a direct response, and the
// route's fault.
func TestActions(t *testing.T) {
	weighted := &route.Route_Route{Route: &route.RouteAction{ClusterSpecifier: &route.RouteAction_WeightedClusters{WeightedClusters: &route.WeightedCluster{Clusters: []*route.WeightedCluster_ClusterWeight{
		{Name: "a", Weight: wrapperspb.UInt32(25)}, {Name: "b", Weight: wrapperspb.UInt32(75)}, {Name: "c", Weight: wrapperspb.UInt32(0)}}}}}}
	abort, err := anypb.New(&fault.HTTPFault{Abort: &fault.FaultAbort{ErrorType: &fault.FaultAbort_HttpStatus{HttpStatus: 500}, Percentage: &typev3.FractionalPercent{Numerator: 1_000_000, Denominator: typev3.FractionalPercent_MILLION}},
		Delay: &commonfault.FaultDelay{FaultDelaySecifier: &commonfault.FaultDelay_FixedDelay{FixedDelay: durationpb.New(7 * time.Second)}, Percentage: &typev3.FractionalPercent{Numerator: 10, Denominator: typev3.FractionalPercent_HUNDRED}}})
	require.NoError(t, err)
	rc := config(httpbin(
		&route.Route{Match: prefix("/split"), Action: weighted},
		&route.Route{Match: prefix("/old"), Action: &route.Route_Redirect{Redirect: &route.RedirectAction{PathRewriteSpecifier: &route.RedirectAction_PathRedirect{PathRedirect: "/new"}, ResponseCode: route.RedirectAction_FOUND}}},
		&route.Route{Match: prefix("/moved"), Action: &route.Route_Redirect{Redirect: &route.RedirectAction{SchemeRewriteSpecifier: &route.RedirectAction_HttpsRedirect{HttpsRedirect: true}, HostRedirect: "www.httpbin.org"}}},
		&route.Route{Match: prefix("/teapot"), Action: &route.Route_DirectResponse{DirectResponse: &route.DirectResponseAction{Status: 418}}},
		&route.Route{Match: prefix("/fault"), Action: toCluster("outbound|80||httpbin.org", 0), TypedPerFilterConfig: map[string]*anypb.Any{FaultFilter: abort}},
	))
	out, err := Evaluate(rc, get("/split"))
	require.NoError(t, err)
	assert.Equal(t, []WeightedCluster{{"a", 25, 100}, {"b", 75, 100}, {"c", 0, 100}}, out.Clusters)
	out, err = Evaluate(rc, get("/old?q=1"))
	require.NoError(t, err)
	assert.Equal(t, [3]any{ActionRedirect, 302, "http://httpbin.org/new?q=1"}, [3]any{out.Action, out.RedirectStatus, out.Location})
	out, err = Evaluate(rc, Request{Method: "GET", Scheme: "http", Authority: "httpbin.org:80", Path: "/moved/x"})
	require.NoError(t, err)
	assert.Equal(t, [3]any{ActionRedirect, 301, "https://www.httpbin.org/moved/x"}, [3]any{out.Action, out.RedirectStatus, out.Location}, "301 by default; host_redirect replaces the host with its port")
	out, err = Evaluate(rc, get("/teapot"))
	require.NoError(t, err)
	assert.Equal(t, [2]any{ActionDirect, 418}, [2]any{out.Action, out.DirectStatus})
	out, err = Evaluate(rc, get("/fault"))
	require.NoError(t, err)
	assert.Equal(t, &Fault{AbortStatus: 500, AbortPercent: 100, Delay: 7 * time.Second, DelayPercent: 10}, out.Fault)
	out, err = Evaluate(rc, get("/elsewhere"))
	require.NoError(t, err)
	assert.Equal(t, ActionNoRoute, out.Action)
	assert.Nil(t, out.Route)
}

// TestUnfollowedMatchIsAnError: a condition the evaluator does not follow is
// named, never guessed.
func TestUnfollowedMatchIsAnError(t *testing.T) {
	m := prefix("/")
	m.RuntimeFraction = &core.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 50}}
	_, err := Evaluate(config(httpbin(&route.Route{Match: m, Action: toCluster("c", 0)})), get("/"))
	assert.EqualError(t, err, "virtual host httpbin.org:80, route 0 (unnamed): route match runtime_fraction: not followed")
}
