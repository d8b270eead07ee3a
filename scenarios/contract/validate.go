package contract

import (
	"fmt"
	"strings"
)

// Validate checks the expectation's values; field names it in errors
// (checks[0].expect).
func (e *Expect) Validate(field string) error {
	if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
		return fmt.Errorf("%s.status: %d: expected an HTTP status between 100 and 599", field, e.Status)
	}
	if err := oneOf(field+".from", e.From, FromEnvoy, FromGateway, FromUpstream); err != nil {
		return err
	}
	if err := oneOf(field+".route", e.Route, RoutePassthrough, RouteMesh, RouteBlackhole, RouteDirect, RouteRedirect, RouteNotFound); err != nil {
		return err
	}
	if e.Location != "" && e.Route != "" && e.Route != RouteRedirect {
		return fmt.Errorf("%s.location with route %s: expected route redirect or none, only a redirect has a Location", field, e.Route)
	}
	if e.ExitCode != nil && (*e.ExitCode < 0 || *e.ExitCode > 255) {
		return fmt.Errorf("%s.exitCode: %d: expected a curl exit code between 0 and 255", field, *e.ExitCode)
	}
	if e.WantsNoResponse() && (e.Status != 0 || e.From != "") {
		return fmt.Errorf("%s: status/from with route blackhole or a non-zero exitCode: expected either an HTTP answer or none, not both", field)
	}
	if answersItself := e.Route == RouteDirect || e.Route == RouteRedirect || e.Route == RouteNotFound; answersItself && e.ExitCode != nil && *e.ExitCode != 0 {
		return fmt.Errorf("%s.exitCode: %d with route %s: expected 0 or none, the sidecar answers itself", field, *e.ExitCode, e.Route)
	}
	if e.Route == RouteBlackhole && e.ExitCode != nil && *e.ExitCode == 0 {
		return fmt.Errorf("%s.exitCode: 0 with route blackhole: expected a non-zero curl exit code, the sidecar drops the connection", field)
	}
	if u := e.Upstream; u != nil {
		if u.Port < 0 || u.Port > 65535 {
			return fmt.Errorf("%s.upstream.port: %d: expected a port between 1 and 65535", field, u.Port)
		}
		if u.TLS != nil {
			if err := oneOf(field+".upstream.tls.mode", u.TLS.Mode, TLSSimple, TLSMutual, TLSIstioMutual, TLSDisable); err != nil {
				return err
			}
			if u.TLS.Mode == TLSDisable && u.TLS.SNI != "" {
				return fmt.Errorf("%s.upstream.tls: sni %q with mode DISABLE: expected no SNI without TLS origination", field, u.TLS.SNI)
			}
		}
	}
	if r := e.Retries; r != nil && r.Attempts != nil && *r.Attempts < 0 {
		return fmt.Errorf("%s.retries.attempts: %d: expected zero or more", field, *r.Attempts)
	}
	if g := e.Gateway; g != nil {
		return g.validateGatewayHop(field + ".gateway")
	}
	return nil
}

// validateGatewayHop checks an expect.gateway block: the gateway's own hop,
// which curl does not see.
func (e *Expect) validateGatewayHop(field string) error {
	switch {
	case e.Gateway != nil:
		return fmt.Errorf("%s.gateway: expected one gateway hop, not a gateway behind the gateway", field)
	case e.Status != 0 || e.From != "" || e.ExitCode != nil:
		return fmt.Errorf("%s: status, from and exitCode are what the client sees: expected them in expect, not in expect.gateway", field)
	}
	return e.Validate(field)
}

func oneOf(field, value string, allowed ...string) error {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return fmt.Errorf("%s: %q: expected one of %s", field, value, strings.Join(allowed, ", "))
}
