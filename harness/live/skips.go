package live

import (
	"fmt"
	"slices"

	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/facts"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

// The run's skip decisions, all in one place: a scenario it cannot run at
// all (cannotRun), one it can only tell after its setup (cannotRunAfterSetup),
// and a check it cannot make as the check means it (cannotServe).

// ExternalLabel is the scenario label that says which external host a
// scenario needs: hermetic (the run's own server), internet (the real hosts),
// or another value that no live run provides (a doc's own server, say).
const ExternalLabel = "external"

// cannotRun says why this run cannot run the scenario at all; "" when it can.
func (r *Run) cannotRun(s scenarios.Scenario) string {
	if g := facts.Of(s).Gateway; g != nil && g.Managed() && r.Hermetic() {
		// The gateway's own Envoy resolves the upstream hosts (STRICT_DNS at
		// the gateway). The run gives the chart gateway it installs the
		// hermetic hostAliases (InstallGateways); istiod deploys a Gateway API
		// gateway and owns its Deployment.
		return fmt.Sprintf("egressGateway %s: istiod deploys this Gateway API gateway, whose pods would resolve the hosts through the cluster's DNS, not to the run's server; run it with E2E_EXTERNAL=internet", s.EgressGateway)
	}
	want := s.Labels[ExternalLabel]
	switch {
	case want == "" || want == r.Cfg.External:
		return ""
	case want == config.ExternalHermetic || want == config.ExternalInternet:
		return fmt.Sprintf("label external: %s: it runs with E2E_EXTERNAL=%s, this run has %s", want, want, r.Cfg.External)
	}
	return fmt.Sprintf("label external: %s: no live run provides that host; the offline and control-plane tiers run it", want)
}

// cannotServe says why this run cannot make the check's request as the check
// means it; "" when it can. The hermetic host (stock nginx) answers at once:
// it has no way to take hostDelay, so a check that depends on a slow host
// runs only against the real one (E2E_EXTERNAL=internet).
func (r *Run) cannotServe(c scenarios.Check) string {
	if c.HostDelay != nil && r.Hermetic() {
		return fmt.Sprintf("hostDelay %s: the hermetic host answers at once and cannot be slow; run it with E2E_EXTERNAL=internet", c.HostDelay)
	}
	if c.Expect.From == contract.FromGateway && !r.Hermetic() {
		// The sidecar relays the gateway's own answer as an upstream one
		// (x-envoy-upstream-service-time, server: envoy), as it relays the
		// host's: only the hermetic host's own header tells them apart
		// (curl.Observer).
		return "from: gateway: the gateway's own answer looks like the real host's from the client; only the hermetic host's header tells them apart: run it with E2E_EXTERNAL=hermetic"
	}
	return ""
}

// cannotRunAfterSetup says why the run, as its setup left the cluster, cannot
// run the scenario; "" when it can. The cluster's Gateway API CRDs may not
// serve the version a fixture is written in (unservedVersion). In hermetic
// mode a chart gateway someone else installed has no hostAliases for the
// run's server, and the run never touches it.
func (r *Run) cannotRunAfterSetup(s scenarios.Scenario) string {
	if line := r.unservedGatewayAPI[s.Name]; line != "" {
		return line
	}
	g := facts.Of(s).Gateway
	if g == nil || g.Managed() || !r.Hermetic() || slices.ContainsFunc(r.installedGateways, func(o egressgateway.Gateway) bool { return o.String() == g.String() }) {
		return ""
	}
	return fmt.Sprintf("egressGateway %s: it was installed before this run, so its pods have no hostAliases for the hermetic server and resolve the hosts through the cluster's DNS; run it with E2E_EXTERNAL=internet", g)
}
