package controlplane

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios"
)

// TestScenarios runs every catalog scenario through the real istiod: one
// subtest per check, named <scenario>/<check>, as in the offline tier, and
// one per credentialName for SDS. Each prediction must equal the offline
// tier's for the same scenario.
func TestScenarios(t *testing.T) {
	judgeAlone(t)
	catalog, err := scenarios.FromEnv()
	require.NoError(t, err)
	srv, mesh := need(t)
	for _, entry := range catalog {
		t.Run(entry.ID, func(t *testing.T) {
			if entry.Err != nil {
				record(results.CheckResult{Scenario: entry.ID, Check: "load", Failures: []string{entry.Err.Error()}})
				t.Fatal(entry.Err)
			}
			runID, ip := nextRun()
			start := time.Now()
			out, err := mesh.Judge(context.Background(), srv.Config, runID, ip, entry.Scenario)
			if err != nil {
				record(results.CheckResult{Scenario: entry.ID, Check: "control-plane", Failures: []string{err.Error()}})
				t.Fatalf("scenario %s: %v", entry.ID, err)
			}
			setEnvironment("injectedProxyImage", out.ProxyImage)
			if g, ok := egressgateway.Of(out.Scenario); ok && g.Managed() {
				setEnvironment("gatewayAPIGateway", "deployed by istiod from "+filepath.Join(filepath.Base(shared.opts.IstioModuleDir), egressgateway.ManagedTemplate))
				setEnvironment("gatewayAPIGatewayImage", out.GatewayImage)
			} else if ok {
				// The chart's gateway pods say image: auto; the injection webhook
				// fills in the proxy image with Istio's gateway template.
				setEnvironment("egressGatewayChart", filepath.Join(filepath.Base(shared.opts.IstioModuleDir), egressgateway.Chart)+" "+strings.Join(egressgateway.Values(), " "))
				setEnvironment("egressGatewayImage", out.ProxyImage)
			}
			setEnvironment("nativeSidecar", fmt.Sprint(out.NativeSidecar))
			setEnvironment("applyToSettledConfig/"+entry.ID, out.ApplyToConfig.Round(time.Millisecond).String())
			setEnvironment("deleteToGone/"+entry.ID, out.DeleteToGone.Round(time.Millisecond).String())
			want, err := offline.Predict(out.Scenario)
			require.NoError(t, err)
			s := out.Scenario
			fromDump := predictFromDump(t, out.ConfigDump, s)
			perCheck := time.Since(start) / time.Duration(len(s.Checks))
			for k, check := range s.Checks {
				p := out.Predictions[k]
				t.Run(check.Name, func(t *testing.T) {
					t.Logf("%s %s: %s", s.Name, check.URL, p)
					res := judge.Verdict(s, check, p, perCheck)
					for _, f := range res.Failures {
						t.Error(f)
					}
					record(res)
					assert.Equal(t, want[k], p, "the real istiod's config must predict what the offline translation predicts")
					sidecarHop := want[k]
					sidecarHop.Gateway = nil // the dump is the sidecar's config
					assert.Equal(t, sidecarHop, fromDump[k], "the sidecar's served config, read back as the live tier reads a sidecar's config dump, must predict the same")
				})
			}
			for _, sds := range out.SDS {
				name := "sds-" + sds.CredentialName
				if sds.Proxy == "gateway" {
					name += "-at-gateway"
				}
				t.Run(name, func(t *testing.T) {
					t.Logf("%s: the %s's cluster verifies with SDS secret %q; istiod served %d bytes of trusted CA", s.Name, sds.Proxy, sds.Resource, len(sds.TrustedCA))
					if sds.CertificateResource != "" {
						t.Logf("%s: the %s's cluster presents SDS secret %q; istiod served %d bytes of certificate chain", s.Name, sds.Proxy, sds.CertificateResource, len(sds.CertificateChain))
					}
					res := results.CheckResult{Scenario: s.Name, Check: name, Passed: sds.Err == nil}
					if sds.Err != nil {
						res.Failures = []string{sds.Err.Error()}
						t.Error(sds.Err)
					}
					record(res)
				})
			}
		})
	}
}

// predictFromDump reads the config dump the way the live tier reads a real
// sidecar's and predicts every check from it.
func predictFromDump(t *testing.T, dump []byte, s scenarios.Scenario) []results.Prediction {
	t.Helper()
	sim, err := judge.FromConfigDump(dump)
	require.NoError(t, err)
	got, err := judge.FromSimulation(sim, s.Checks)
	require.NoError(t, err)
	return got
}
