package results

import (
	"fmt"
	"reflect"
)

// Disagreements are the fields, one line each, in which got (one proxy's
// prediction for a check) differs from want (another's for the same check):
// what the scenario contract judges (route, cluster, upstream, TLS mode, SNI,
// timeout, retries, the direct answer) and the headers that say who
// answered. Listener, filter chain and route config names are left out: they
// name where a rule sits, not what it does.
func Disagreements(gotName string, got Prediction, wantName string, want Prediction) []string {
	var out []string
	differ := func(field string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			out = append(out, fmt.Sprintf("%s: %s %v, %s %v", field, gotName, g, wantName, w))
		}
	}
	differ("route", got.Route, want.Route)
	differ("cluster", OrNone(got.Cluster), OrNone(want.Cluster))
	differ("direct status", got.DirectStatus, want.DirectStatus)
	differ("location", OrNone(got.Location), OrNone(want.Location))
	differ("weighted clusters", fmt.Sprint(got.Weighted), fmt.Sprint(want.Weighted))
	differ("fault", got.Fault.String(), want.Fault.String())
	differ("upstream", fmt.Sprintf("%s:%d", got.UpstreamHost, got.UpstreamPort), fmt.Sprintf("%s:%d", want.UpstreamHost, want.UpstreamPort))
	differ("tls mode", OrNone(got.TLSMode), OrNone(want.TLSMode))
	differ("sni", OrNone(got.SNI), OrNone(want.SNI))
	differ("auto_sni", got.AutoSNI, want.AutoSNI)
	differ("timeout", DurationOrNone(got.Timeout), DurationOrNone(want.Timeout))
	differ("retries", retriesText(got.Retries), retriesText(want.Retries))
	differ("headers", headersText(got.Headers), headersText(want.Headers))
	switch {
	case got.Gateway != nil && want.Gateway != nil:
		for _, d := range Disagreements(gotName, *got.Gateway, wantName, *want.Gateway) {
			out = append(out, "gateway "+d)
		}
	case got.Gateway != nil || want.Gateway != nil:
		differ("gateway hop", got.Gateway != nil, want.Gateway != nil)
	}
	return out
}

func retriesText(r *PredictedRetries) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%d x %s on %s", r.Attempts, DurationOrNone(r.PerTryTimeout), OrNone(r.RetryOn))
}

func headersText(h *ResponseHeaders) string {
	if h == nil {
		return "none (TCP)"
	}
	return h.String()
}
