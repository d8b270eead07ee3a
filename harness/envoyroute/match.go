package envoyroute

import (
	"fmt"
	"regexp"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// matches tells whether a route's match holds for the request
// (source/common/router/config_impl.cc, RouteEntryImplBase::matchRoute: the
// headers, then the query parameters, then the path specifier). A match on
// something this evaluator does not follow is an error, never a guess.
func matches(m *route.RouteMatch, req Request) (bool, error) {
	if err := unsupportedMatch(m); err != nil {
		return false, err
	}
	for _, h := range m.GetHeaders() {
		ok, err := headerMatches(h, req)
		if err != nil || !ok {
			return false, err
		}
	}
	query := req.query()
	for _, q := range m.GetQueryParameters() {
		ok, err := queryMatches(q, query)
		if err != nil || !ok {
			return false, err
		}
	}
	return pathMatches(m, req)
}

// unsupportedMatch names a route match condition this evaluator does not
// follow; Istio's translation sets none of them for a VirtualService's or
// an HTTPRoute's matches (pilot/pkg/networking/core/route/route.go,
// TranslateRouteMatch).
func unsupportedMatch(m *route.RouteMatch) error {
	switch {
	case m.GetRuntimeFraction() != nil:
		return fmt.Errorf("route match runtime_fraction: not followed")
	case m.GetGrpc() != nil:
		return fmt.Errorf("route match grpc: not followed")
	case m.GetTlsContext() != nil:
		return fmt.Errorf("route match tls_context: not followed")
	case len(m.GetDynamicMetadata()) > 0:
		return fmt.Errorf("route match dynamic_metadata: not followed")
	case m.GetConnectMatcher() != nil, m.GetPathMatchPolicy() != nil:
		return fmt.Errorf("route match %v: not followed", m.GetPathSpecifier())
	}
	return nil
}

// pathMatches is the route's path specifier (config_impl.cc,
// PrefixRouteEntryImpl, PathRouteEntryImpl, RegexRouteEntryImpl,
// PathSeparatedPrefixRouteEntryImpl), on :path without its query string and
// fragment (source/common/common/matchers.cc, PathMatcher::match:
// PathUtil::removeQueryAndFragment): a prefix, the exact path, a full regex
// match, or the prefix followed by nothing or by "/". case_sensitive
// (default true) applies to the prefix, path and path-separated prefix, not
// to the regex (createSafeRegex takes no case).
func pathMatches(m *route.RouteMatch, req Request) (bool, error) {
	caseSensitive := m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()
	fold := func(s string) string {
		if caseSensitive {
			return s
		}
		return strings.ToLower(s)
	}
	switch p := m.GetPathSpecifier().(type) {
	case *route.RouteMatch_Prefix:
		return strings.HasPrefix(fold(req.pathOnly()), fold(p.Prefix)), nil
	case *route.RouteMatch_Path:
		return fold(req.pathOnly()) == fold(p.Path), nil
	case *route.RouteMatch_SafeRegex:
		re, err := fullRegex(p.SafeRegex.GetRegex())
		if err != nil {
			return false, err
		}
		return re.MatchString(req.pathOnly()), nil
	case *route.RouteMatch_PathSeparatedPrefix:
		path, prefix := fold(req.pathOnly()), fold(p.PathSeparatedPrefix)
		return path == prefix || strings.HasPrefix(path, prefix+"/"), nil
	case nil:
		return false, fmt.Errorf("route match without a path specifier")
	}
	return false, fmt.Errorf("route match path specifier %T: not followed", m.GetPathSpecifier())
}

// fullRegex compiles an RE2 pattern (Go's regexp is RE2's syntax) to match
// a whole string, as Envoy's safe_regex does (source/common/common/regex.cc,
// CompiledGoogleReMatcher::match: re2::RE2::FullMatch).
func fullRegex(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %v", pattern, err)
	}
	return re, nil
}

// stringMatches is Envoy's StringMatcher (source/common/common/matchers.cc,
// StringMatcherImpl::match): exact, prefix, suffix, contains, or a full
// regex match; ignore_case folds ASCII case for all but the regex.
func stringMatches(m *matcher.StringMatcher, value string) (bool, error) {
	fold := func(s string) string {
		if m.GetIgnoreCase() {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcher.StringMatcher_Exact:
		return fold(value) == fold(p.Exact), nil
	case *matcher.StringMatcher_Prefix:
		return strings.HasPrefix(fold(value), fold(p.Prefix)), nil
	case *matcher.StringMatcher_Suffix:
		return strings.HasSuffix(fold(value), fold(p.Suffix)), nil
	case *matcher.StringMatcher_Contains:
		return strings.Contains(fold(value), fold(p.Contains)), nil
	case *matcher.StringMatcher_SafeRegex:
		re, err := fullRegex(p.SafeRegex.GetRegex())
		if err != nil {
			return false, err
		}
		return re.MatchString(value), nil
	}
	return false, fmt.Errorf("string matcher %T: not followed", m.GetMatchPattern())
}

// queryMatches is a query parameter matcher (source/common/router/
// config_utility.cc, ConfigUtility::QueryParameterMatcher::matches, its first
// value): present_match asks for presence (or absence); otherwise an absent
// parameter does not match, and a present one matches the string matcher, or
// any value without one.
func queryMatches(q *route.QueryParameterMatcher, query map[string]string) (bool, error) {
	value, ok := query[q.GetName()]
	if _, presence := q.GetQueryParameterMatchSpecifier().(*route.QueryParameterMatcher_PresentMatch); presence {
		return ok == q.GetPresentMatch(), nil
	}
	if !ok {
		return false, nil
	}
	if sm := q.GetStringMatch(); sm != nil {
		return stringMatches(sm, value)
	}
	return true, nil
}
