package snapshot

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

// Change is one difference between a saved scenario and a snapshot: a
// field of a check's expectation (upstream.tls.sni, gateway.cluster ...),
// or a whole check that one of them lacks (Field empty).
type Change struct {
	URL, Field string
	// Was and Now are the field's values, "" where it is absent.
	Was, Now string
	// By names the objects now behind the check's prediction.
	By []string
}

// none stands for an absent value in a Change's line.
const none = "(none)"

// String is one line: "http://api.example.com: timeout 1ms → 3s (VirtualService payments/api)".
func (c Change) String() string {
	line := c.URL + ": "
	switch {
	case c.Field == "" && c.Was == "":
		line += "new check " + c.Now
	case c.Field == "":
		line += "check " + c.Was + " is gone"
	default:
		line += fmt.Sprintf("%s %s → %s", c.Field, orNone(c.Was), orNone(c.Now))
	}
	if len(c.By) > 0 {
		line += " (" + strings.Join(c.By, ", ") + ")"
	}
	return line
}

// hopText is how a Change line tells a hop through the egress gateway.
func hopText(e contract.Expect) string {
	if e.Gateway == nil {
		return ""
	}
	return "through the egress gateway"
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// Diff lists what changed from the saved scenario to the snapshot, check by
// check, field by field, in the snapshot's check order and then the saved
// checks it no longer makes. Checks match by their request (requestKey),
// each saved check once. Nothing when they agree.
func Diff(saved scenarios.Scenario, now Snapshot) []Change {
	matched := make([]bool, len(saved.Checks))
	var out []Change
	for i, c := range now.Scenario.Checks {
		note := now.Notes[i]
		k := -1
		for j, old := range saved.Checks {
			if !matched[j] && requestKey(old) == requestKey(c) {
				k = j
				break
			}
		}
		if k < 0 {
			out = append(out, Change{URL: c.URL, Now: c.Name, By: note.Sidecar})
			continue
		}
		matched[k] = true
		out = append(out, fieldChanges(c.URL, saved.Checks[k].Expect, c.Expect, note)...)
	}
	for k, c := range saved.Checks {
		if !matched[k] {
			out = append(out, Change{URL: c.URL, Was: c.Name})
		}
	}
	return out
}

// fieldChanges are the fields of one check that changed.
func fieldChanges(checkURL string, was, now contract.Expect, note Note) []Change {
	var out []Change
	before, after := flatten(was), flatten(now)
	// A hop through the egress gateway that appears or goes is one line.
	hop := (was.Gateway == nil) != (now.Gateway == nil)
	if hop {
		out = append(out, Change{URL: checkURL, Field: "gateway", Was: hopText(was), Now: hopText(now), By: note.Sidecar})
	}
	for _, field := range slices.Sorted(maps.Keys(union(before, after))) {
		if before[field] == after[field] || hop && strings.HasPrefix(field, "gateway.") {
			continue
		}
		out = append(out, Change{URL: checkURL, Field: field, Was: before[field], Now: after[field], By: responsible(field, note)})
	}
	return out
}

// requestKey is what a check asks: its method, its URL without a default
// port, and its headers.
func requestKey(c scenarios.Check) string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return c.RequestMethod() + " " + c.URL
	}
	port := defaultPort(u.Scheme)
	if p, err := strconv.Atoi(u.Port()); err == nil {
		port = p
	}
	key := c.RequestMethod() + " " + target{Scheme: u.Scheme, Host: strings.ToLower(u.Hostname()), Port: port}.URL() + u.RequestURI()
	for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
		key += "\n" + strings.ToLower(name) + ": " + c.Headers[name]
	}
	return key
}

// flatten is an expectation as field paths and values: {"upstream.tls.sni": "tetrate.io", "timeout": "1ms"}.
func flatten(e contract.Expect) map[string]string {
	data, err := json.Marshal(e)
	if err != nil {
		panic(err) // plain data with its own marshalers; cannot fail
	}
	var tree map[string]any
	_ = json.Unmarshal(data, &tree) // what json.Marshal just wrote
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			out[prefix] = fmt.Sprint(v)
			return
		}
		for k, child := range m {
			walk(strings.TrimPrefix(prefix+"."+k, "."), child)
		}
	}
	walk("", tree)
	return out
}

func union(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// responsible names the objects behind a field, among those behind the
// check: a route's fields come from a VirtualService or Gateway API route
// (Istio's route metadata), TLS from a DestinationRule, the cluster and
// where it sends from the ServiceEntry or Service and DestinationRule
// (cluster metadata); all of them when none of those kinds is there.
func responsible(field string, n Note) []string {
	objects := n.Sidecar
	if g, ok := strings.CutPrefix(field, "gateway."); ok {
		field, objects = g, n.Gateway
	}
	kinds := []string{"VirtualService ", "HTTPRoute ", "GRPCRoute ", "TLSRoute ", "TCPRoute "}
	switch {
	case strings.HasPrefix(field, "upstream.tls."):
		kinds = []string{"DestinationRule "}
	case field == "cluster" || strings.HasPrefix(field, "upstream."):
		kinds = []string{"ServiceEntry ", "Service ", "DestinationRule "}
	}
	var out []string
	for _, o := range objects {
		for _, k := range kinds {
			if strings.HasPrefix(o, k) {
				out = append(out, o)
			}
		}
	}
	if len(out) == 0 {
		return objects
	}
	return out
}
