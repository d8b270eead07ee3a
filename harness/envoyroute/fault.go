package envoyroute

import (
	"fmt"
	"time"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	commonfault "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	fault "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
)

// FaultFilter is the name Istio gives the fault filter's per-route config
// (pilot/pkg/networking/core/route/route.go: wellknown.Fault,
// "envoy.filters.http.fault").
const FaultFilter = "envoy.filters.http.fault"

// Fault is a route's fault injection (api/envoy/extensions/filters/http/
// fault/v3/fault.proto): the fault filter, before the router, delays a share
// of the requests, then aborts a share with a status of its own, the request
// never reaching the upstream (source/extensions/filters/http/fault/
// fault_filter.cc: decodeHeaders, postDelayInjection, abortWithStatus).
type Fault struct {
	// AbortStatus is the status of an aborted request, and AbortPercent the
	// share of requests aborted, 0 to 100.
	AbortStatus  int
	AbortPercent float64
	// Delay is how long a delayed request waits, and DelayPercent the share
	// delayed, 0 to 100.
	Delay        time.Duration
	DelayPercent float64
}

// routeFault reads the route's fault filter config; nil without one. Faults
// this evaluator does not follow (header-driven ones, gRPC aborts, rate
// limits) are an error.
func routeFault(r *route.Route) (*Fault, error) {
	cfg, ok := r.GetTypedPerFilterConfig()[FaultFilter]
	if !ok {
		return nil, nil
	}
	var f fault.HTTPFault
	if err := cfg.UnmarshalTo(&f); err != nil {
		return nil, fmt.Errorf("%s config: %v", FaultFilter, err)
	}
	if len(f.GetHeaders()) > 0 || f.GetResponseRateLimit() != nil || len(f.GetDownstreamNodes()) > 0 || f.GetUpstreamCluster() != "" {
		return nil, fmt.Errorf("%s config: a fault limited to headers, nodes or an upstream cluster, or a rate limit: not followed", FaultFilter)
	}
	out := &Fault{}
	if a := f.GetAbort(); a != nil {
		if _, http := a.GetErrorType().(*fault.FaultAbort_HttpStatus); !http {
			return nil, fmt.Errorf("%s config: abort %T: not followed", FaultFilter, a.GetErrorType())
		}
		out.AbortStatus, out.AbortPercent = int(a.GetHttpStatus()), percent(a.GetPercentage())
	}
	if d := f.GetDelay(); d != nil {
		if _, fixed := d.GetFaultDelaySecifier().(*commonfault.FaultDelay_FixedDelay); !fixed {
			return nil, fmt.Errorf("%s config: delay %T: not followed", FaultFilter, d.GetFaultDelaySecifier())
		}
		out.Delay, out.DelayPercent = d.GetFixedDelay().AsDuration(), percent(d.GetPercentage())
	}
	return out, nil
}

// percent is a FractionalPercent as a percentage (api/envoy/type/v3/
// percent.proto: numerator over HUNDRED, TEN_THOUSAND or MILLION; the fault
// filter rolls random % denominator < numerator, so a numerator above the
// denominator is all of it). A fault without a percentage never fires: its
// numerator is 0 (fault_config.cc). Istio writes percentage.value as a
// numerator over MILLION (route.go, translatePercentToFractionalPercent).
func percent(p *typev3.FractionalPercent) float64 {
	if p == nil {
		return 0
	}
	denominator := map[typev3.FractionalPercent_DenominatorType]float64{
		typev3.FractionalPercent_HUNDRED:      100,
		typev3.FractionalPercent_TEN_THOUSAND: 10_000,
		typev3.FractionalPercent_MILLION:      1_000_000,
	}[p.GetDenominator()]
	return min(float64(p.GetNumerator())/denominator, 1) * 100
}
