package envoyroute

import (
	"fmt"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// headerMatches is one header matcher (source/common/http/header_utility.cc,
// HeaderUtility::matchHeaders and HeaderData): pseudo-headers (:method,
// :authority, :scheme, :path) are looked up like any other header. A
// matcher without a specifier asks for presence. An absent header, unless
// treat_missing_header_as_empty makes it "", matches only a present_match
// (false; or true under invert_match); otherwise the result is the
// specifier's, inverted by invert_match.
func headerMatches(h *route.HeaderMatcher, req Request) (bool, error) {
	value, present := req.header(h.GetName())
	presence, isPresence := h.GetHeaderMatchSpecifier().(*route.HeaderMatcher_PresentMatch)
	noSpecifier := h.GetHeaderMatchSpecifier() == nil
	// A presence matcher's own answer once a value is there: its present_
	// (true without a specifier); header_utility.cc, HeaderMatchType::Present.
	wantsPresent := noSpecifier || isPresence && presence.PresentMatch
	if !present && !h.GetTreatMissingHeaderAsEmpty() {
		if h.GetInvertMatch() {
			return wantsPresent, nil
		}
		return isPresence && !presence.PresentMatch, nil
	}
	var match bool
	switch {
	case noSpecifier, isPresence:
		match = wantsPresent
	default:
		var err error
		if match, err = specifierMatches(h, value); err != nil {
			return false, err
		}
	}
	return match != h.GetInvertMatch(), nil
}

// specifierMatches is a value specifier of a header matcher: the string
// matcher, or the deprecated forms Istio no longer writes (exact_match with
// an empty value matches any value: header_utility.cc, HeaderMatchType::Value).
func specifierMatches(h *route.HeaderMatcher, value string) (bool, error) {
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case *route.HeaderMatcher_StringMatch:
		return stringMatches(s.StringMatch, value)
	case *route.HeaderMatcher_ExactMatch:
		return s.ExactMatch == "" || value == s.ExactMatch, nil
	case *route.HeaderMatcher_PrefixMatch:
		return stringMatches(&matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Prefix{Prefix: s.PrefixMatch}}, value)
	case *route.HeaderMatcher_SuffixMatch:
		return stringMatches(&matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Suffix{Suffix: s.SuffixMatch}}, value)
	case *route.HeaderMatcher_ContainsMatch:
		return stringMatches(&matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Contains{Contains: s.ContainsMatch}}, value)
	case *route.HeaderMatcher_SafeRegexMatch:
		return stringMatches(&matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_SafeRegex{SafeRegex: s.SafeRegexMatch}}, value)
	}
	return false, fmt.Errorf("header matcher %s %T: not followed", h.GetName(), h.GetHeaderMatchSpecifier())
}
