package controlplane

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/analysis"
	"istio-egress-conformance/harness/controlplane"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
)

// TestScenarios runs every catalog scenario through the real istiod: one
// subtest per check, named <scenario>/<check>, as in the offline tier, and
// one per credentialName for SDS. A check's verdict is the expectations
// against istiod's config, and that config's agreement with the offline
// translation and with the served config read back as a config dump; its
// report entry is its subtest's outcome.
func TestScenarios(t *testing.T) {
	judgeAlone(t)
	catalog, err := analysis.Catalog()
	require.NoError(t, err)
	for _, entry := range catalog {
		t.Run(entry.ID, func(t *testing.T) {
			if entry.Err != nil {
				recorder.Fail(t, results.CheckResult{Scenario: entry.ID, Check: "load"}, entry.Err.Error())
				return
			}
			recorder.Analysis(entry.Scenario.Name, entry.Scenario.Analysis)
			if shared.err != nil { // no API server or istiod: every check fails with why, none is dropped
				judgeScenario(t, entry.Scenario, evidence{err: fmt.Errorf("it could not come up: %v", shared.err)}, 0)
				return
			}
			srv, mesh := need(t)
			runID, ip := nextRun()
			start := time.Now()
			out, err := mesh.Judge(context.Background(), srv.Config, runID, ip, entry.Scenario)
			s := entry.Scenario
			if err == nil {
				describe(entry.ID, out)
				s = out.Scenario // as applied: its expectations name the renamed namespaces' hosts
			}
			judgeScenario(t, s, tierEvidence(out, err), time.Since(start))
			if out.Teardown != nil {
				recorder.Fail(t, results.CheckResult{Scenario: entry.ID, Check: "teardown"}, out.Teardown.Error())
			}
		})
	}
}

// evidence is what the tier learned of one scenario, before its checks are judged.
type evidence struct {
	out controlplane.Outcome
	// err is why the tier could not judge the scenario (mesh.Judge's error).
	err error
	// offline and dump are the other sources' predictions, with why they are missing.
	offline, dump       []results.Prediction
	offlineErr, dumpErr error
}

// tierEvidence gathers the scenario's other sources: the offline translation
// of the same (renamed) scenario, which mesh.Judge made to await its config,
// and the served config read back as the live tier reads a sidecar's config
// dump.
func tierEvidence(out controlplane.Outcome, err error) evidence {
	ev := evidence{out: out, err: err}
	if err != nil {
		return ev
	}
	ev.offline, ev.offlineErr = out.Offline, out.OfflineErr
	sim, err := judge.FromConfigDump(out.ConfigDump)
	if err == nil {
		ev.dump, err = judge.FromSimulation(sim, out.Scenario.Checks)
	}
	ev.dumpErr = err
	return ev
}

// of is the k-th check's evidence for the one verdict (verdict.Of).
func (ev evidence) of(k int) verdict.Evidence {
	if ev.err != nil {
		return verdict.Evidence{Problems: []string{"the control-plane tier could not judge the scenario: " + ev.err.Error()}}
	}
	out := verdict.Evidence{Judged: &verdict.Source{Name: "the real istiod's config", Prediction: ev.out.Predictions[k]}}
	if ev.offlineErr != nil {
		out.Problems = append(out.Problems, "the offline translation: "+ev.offlineErr.Error())
	} else {
		out.Agree = append(out.Agree, verdict.Source{Name: "the offline translation", Prediction: ev.offline[k]})
	}
	if ev.dumpErr != nil {
		out.Problems = append(out.Problems, "the served config read back as a config dump: "+ev.dumpErr.Error())
	} else {
		out.Agree = append(out.Agree, verdict.Source{Name: "the served config read back as a config dump", Prediction: ev.dump[k], SidecarOnly: true})
	}
	return out
}

// judgeScenario records one entry per check, each its subtest's outcome,
// and one per SDS answer.
func judgeScenario(t *testing.T, s scenarios.Scenario, ev evidence, took time.Duration) {
	perCheck := took / time.Duration(max(len(s.Checks), 1))
	for k, check := range s.Checks {
		recorder.RunCheck(t, check.Name, verdict.Entry(s.Name, check), func(c *verdict.Check) {
			if ev.err == nil {
				c.T().Logf("%s %s: %s", s.Name, check.URL, ev.out.Predictions[k])
			}
			c.Judge(verdict.Of(s.Name, check, ev.of(k), perCheck))
		})
	}
	for _, sds := range ev.out.SDS {
		name := "sds-" + sds.CredentialName
		if sds.Proxy == "gateway" {
			name += "-at-gateway"
		}
		recorder.RunCheck(t, name, results.CheckResult{Scenario: s.Name, Check: name}, func(c *verdict.Check) {
			c.T().Logf("%s: the %s's cluster verifies with SDS secret %q; istiod served %d bytes of trusted CA", s.Name, sds.Proxy, sds.Resource, len(sds.TrustedCA))
			if sds.CertificateResource != "" {
				c.T().Logf("%s: the %s's cluster presents SDS secret %q; istiod served %d bytes of certificate chain", s.Name, sds.Proxy, sds.CertificateResource, len(sds.CertificateChain))
			}
			if sds.Err != nil {
				c.Fatal(sds.Err.Error())
			}
		})
	}
}

// describe puts what the scenario ran with into the report's environment.
func describe(id string, out controlplane.Outcome) {
	recorder.SetEnvironment("injectedProxyImage", out.ProxyImage)
	if g := out.Facts.Gateway; g != nil && g.Managed() {
		recorder.SetEnvironment("gatewayAPIGateway", "deployed by istiod from "+filepath.Join(filepath.Base(shared.opts.IstioModuleDir), egressgateway.ManagedTemplate))
		recorder.SetEnvironment("gatewayAPIGatewayImage", out.GatewayImage)
	} else if g != nil {
		// The chart's gateway pods say image: auto; the injection webhook
		// fills in the proxy image with Istio's gateway template.
		recorder.SetEnvironment("egressGatewayChart", filepath.Join(filepath.Base(shared.opts.IstioModuleDir), egressgateway.Chart)+" "+strings.Join(egressgateway.Values(), " "))
		recorder.SetEnvironment("egressGatewayImage", out.ProxyImage)
	}
	recorder.SetEnvironment("nativeSidecar", fmt.Sprint(out.NativeSidecar))
	recorder.SetEnvironment("applyToSettledConfig/"+id, out.ApplyToConfig.Round(time.Millisecond).String())
	recorder.SetEnvironment("deleteToGone/"+id, out.DeleteToGone.Round(time.Millisecond).String())
}
