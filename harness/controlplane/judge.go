package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	kubecredentials "istio.io/istio/pilot/pkg/credentials/kube"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pkg/adsc"
	istioconfig "istio.io/istio/pkg/config"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

// ConvergeWithin bounds each wait for istiod's config to reach the sidecar.
const ConvergeWithin = 30 * time.Second

// Outcome is what the real istiod served one scenario's client sidecar.
type Outcome struct {
	// Scenario is the scenario as applied: namespaces suffixed with the run id.
	Scenario scenarios.Scenario
	// Predictions are one per check, from the served config.
	Predictions []results.Prediction
	// GatewayImage is the proxy image istiod deployed a Gateway API
	// gateway with; empty for the chart's gateway (its pods get the
	// injected ProxyImage).
	GatewayImage string
	// ProxyImage and NativeSidecar describe the injected sidecar.
	ProxyImage    string
	NativeSidecar bool
	// SDS holds, per credentialName, what the sidecar would get.
	SDS []SDSResult
	// ConfigDump is the served config as the sidecar's Envoy admin endpoint
	// would print it: what the live tier reads from a real sidecar.
	ConfigDump []byte
	// ApplyToConfig is from applying the fixtures to the config holding
	// their hosts and istiod quiet for quietPeriod (300ms of it is that
	// quiet); DeleteToGone from deleting them to their hosts leaving it.
	ApplyToConfig, DeleteToGone time.Duration
}

// SDSResult is the answer to a credentialName; Err says what went wrong.
type SDSResult struct {
	CredentialName string
	// Proxy is whose cluster uses it: sidecar or gateway.
	Proxy string
	// Resource is the SDS secret the sidecar's cluster verifies its upstream
	// with; TrustedCA is the CA istiod served in it.
	Resource  string
	TrustedCA []byte
	// CertificateResource and CertificateChain are the client certificate's,
	// for MUTUAL origination.
	CertificateResource string
	CertificateChain    []byte
	Err                 error
}

// Judge applies the scenario with the live tier's own apply step, in namespaces of
// its own (the run id as suffix: an API server without a namespace controller
// never finishes deleting one), connects as the injected client's sidecar,
// predicts every check from the config istiod served, checks SDS for each
// credentialName, then deletes the fixtures by label and waits until their
// hosts leave the config. ip is the client pod's, unique per scenario.
func (m *Mesh) Judge(ctx context.Context, cfg *envconf.Config, runID, ip string, original scenarios.Scenario) (out Outcome, err error) {
	s, err := original.WithNamespaceSuffix(runID)
	if err != nil {
		return Outcome{}, err
	}
	out = Outcome{Scenario: s}
	ca, err := workload.NewCA(runID)
	if err != nil {
		return out, err
	}
	res := cfg.Client().Resources()
	defer func() {
		if err != nil { // the next scenario's sidecar must not see this one's objects
			if cleanup := removeScenario(context.WithoutCancel(ctx), res, s, runID); cleanup != nil {
				err = fmt.Errorf("%v; and removing the scenario's objects: %v", err, cleanup)
			}
		}
	}()
	start := time.Now()
	hosts := meshHosts(s)
	gw, hasGateway := egressgateway.Of(s)
	if hasGateway && !gw.Managed() {
		if err := ensureGateway(ctx, res, gw, apply.Owner(runID, s.Name)); err != nil {
			return out, err
		}
		hosts = append(hosts, gw.Host())
	}
	// The hermetic mode's hostAliases too, so that the API server validates
	// the very pod spec the live tier creates (192.0.2.1 stands for the server).
	aliases := workload.HostAliases([]string{"192.0.2.1"}, apply.Hosts(s))
	if err := apply.Scenario(ctx, res, s, apply.Options{RunID: runID, ClientImage: config.DefaultClientImage, CA: ca.CertPEM, HostAliases: aliases}); err != nil {
		return out, fmt.Errorf("setup: %v", err)
	}
	pod, err := injectedClient(ctx, res, s.Client.Namespace, ip)
	if err != nil {
		return out, err
	}
	out.ProxyImage, out.NativeSidecar = proxyImage(pod)
	node, err := SidecarConfig(pod, config.DefaultIstioVersion)
	if err != nil {
		return out, err
	}
	conn, err := Connect(fmt.Sprintf("127.0.0.1:%d", m.Istiod.Ports.GRPC), node)
	if err != nil {
		return out, err
	}
	defer conn.Close()
	sim, err := AwaitConfig(ctx, conn, m.Istiod, hosts, true, ConvergeWithin)
	if err != nil {
		return out, err
	}
	out.ApplyToConfig = time.Since(start)
	if out.Predictions, err = judge.FromSimulation(sim, s.Checks); err != nil {
		return out, err
	}
	if hasGateway && gw.Managed() {
		if out.GatewayImage, err = checkManaged(ctx, res, gw, ConvergeWithin); err != nil {
			return out, err
		}
	}
	// The proxies a credentialName may be for: the sidecar, and the gateway
	// (whose DestinationRules' Secrets live in its own namespace).
	proxies := []sdsProxy{{name: "sidecar", sim: sim, node: node, namespace: s.Client.Namespace, serviceAccount: s.Client.ServiceAccountName()}}
	if hasGateway {
		gwSim, gwNode, err := m.judgeGatewayHops(ctx, gw, gatewayIP(ip), s, out.Predictions)
		if err != nil {
			return out, err
		}
		proxies = append(proxies, sdsProxy{name: "gateway", sim: gwSim, node: gwNode, namespace: gw.Namespace, serviceAccount: gw.ServiceAccount()})
	}
	if out.ConfigDump, err = judge.ConfigDump(sim); err != nil {
		return out, err
	}
	for _, name := range credentialNames(s) {
		found := false
		for _, p := range proxies {
			sdsName, certName := credentialSecrets(p.sim, name)
			if sdsName == "" {
				continue
			}
			found = true
			r := SDSResult{CredentialName: name, Proxy: p.name, Resource: sdsName, CertificateResource: certName}
			r.Err = m.checkSDS(ctx, cfg, p, &r)
			out.SDS = append(out.SDS, r)
		}
		if !found {
			out.SDS = append(out.SDS, SDSResult{CredentialName: name, Err: fmt.Errorf("sds: no cluster verifies its upstream with credentialName %s (Istio drops it from a sidecar DestinationRule without a workloadSelector)", name)})
		}
	}
	deleted := time.Now()
	if err := removeScenario(ctx, res, s, runID); err != nil {
		return out, fmt.Errorf("teardown: %v", err)
	}
	if _, err := AwaitConfig(ctx, conn, m.Istiod, hosts, false, ConvergeWithin); err != nil {
		return out, fmt.Errorf("after the fixtures' teardown: %v", err)
	}
	out.DeleteToGone = time.Since(deleted)
	return out, nil
}

// removeScenario deletes the scenario's fixtures, and its egress gateway's
// Service and service account, by the run's and the scenario's labels; or
// what istiod deployed for its Gateway API Gateway.
func removeScenario(ctx context.Context, res *resources.Resources, s scenarios.Scenario, runID string) error {
	err := apply.DeleteFixtures(ctx, res, s, runID)
	if g, ok := egressgateway.Of(s); ok && g.Managed() {
		err = errors.Join(err, removeManaged(ctx, res, g, ConvergeWithin))
	} else if ok {
		rbac := "rbac.authorization.k8s.io"
		err = errors.Join(err, apply.DeleteKinds(ctx, res, []schema.GroupVersionKind{{Version: "v1", Kind: "Service"}, {Version: "v1", Kind: "ServiceAccount"},
			{Group: rbac, Version: "v1", Kind: "Role"}, {Group: rbac, Version: "v1", Kind: "RoleBinding"}}, apply.Selector(runID, s.Name)))
	}
	return err
}

// judgeGatewayHops connects as the scenario's egress gateway and predicts
// the gateway's hop of every check that reaches it, from the config istiod
// serves the gateway.
func (m *Mesh) judgeGatewayHops(ctx context.Context, g egressgateway.Gateway, ip string, s scenarios.Scenario, predictions []results.Prediction) (*simulation.Simulation, adsc.Config, error) {
	node, err := GatewayNode(g, ip, config.DefaultIstioVersion)
	if err != nil {
		return nil, node, err
	}
	sim, err := gatewayConfig(ctx, fmt.Sprintf("127.0.0.1:%d", m.Istiod.Ports.GRPC), node, m.Istiod, ConvergeWithin)
	if err != nil {
		return nil, node, fmt.Errorf("egress gateway %s: %v", g, err)
	}
	return sim, node, judge.GatewayHops(sim, g.Host(), s.Checks, predictions)
}

// sdsProxy is a proxy whose clusters may verify with a credentialName: its
// served config, how it introduces itself, and its identity.
type sdsProxy struct {
	name                      string // sidecar or gateway
	sim                       *simulation.Simulation
	node                      adsc.Config
	namespace, serviceAccount string
}

// missingCredential names a Secret no run creates.
const missingCredential = "egress-conformance-missing"

// checkSDS answers the live tier's riskiest assumption for real: a cluster
// of the proxy (the sidecar, or the egress gateway) verifies the upstream
// with the SDS secret of the credentialName (r.Resource, and presents
// r.CertificateResource for MUTUAL), and istiod serves it over its mTLS port,
// to a workload certificate of that proxy's service account, carrying the CA
// in the Secret's cacert key; the Secret is in the proxy's namespace. A
// credentialName without a Secret must get no answer.
func (m *Mesh) checkSDS(ctx context.Context, cfg *envconf.Config, p sdsProxy, r *SDSResult) error {
	credentialName, sdsName, certName, node := r.CredentialName, r.Resource, r.CertificateResource, p.node
	var secret corev1.Secret
	if err := cfg.Client().Resources().Get(ctx, credentialName, p.namespace, &secret); err != nil {
		return fmt.Errorf("sds: Secret %s/%s: %v", p.namespace, credentialName, err)
	}
	certDir, err := os.MkdirTemp("", "egress-conformance-sds-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(certDir) }()
	if err := workloadCertDir(certDir, m.CACert, m.CAKey, p.namespace, p.serviceAccount); err != nil {
		return err
	}
	secure := fmt.Sprintf("127.0.0.1:%d", m.Istiod.Ports.SecureGRPC)
	got, err := fetchSecret(secure, node, certDir, sdsName, 10*time.Second)
	if err != nil {
		return fmt.Errorf("sds: %v", err)
	}
	r.TrustedCA = got.GetValidationContext().GetTrustedCa().GetInlineBytes()
	// What istiod should serve, read from the Secret by Istio's own rules
	// (keys cacert or ca.crt; cert or tls.crt: pilot/pkg/credentials/kube/secrets.go).
	root, err := kubecredentials.ExtractRoot(secret.Data)
	if err != nil {
		return fmt.Errorf("sds: Secret %s/%s: %v", p.namespace, credentialName, err)
	}
	if ca := r.TrustedCA; string(ca) != string(root.Cert) {
		return fmt.Errorf("sds: %s carries %d bytes of trusted CA, not the %d of Secret %s/%s", sdsName, len(ca), len(root.Cert), p.namespace, credentialName)
	}
	if certName != "" { // mutual TLS: the client certificate comes over SDS too
		if err := m.checkClientCertificate(secure, node, certDir, certName, &secret, r); err != nil {
			return err
		}
	}
	return m.checkMissingSecret(secure, node, certDir)
}

// checkMissingSecret asks istiod, once per istiod, for a credentialName whose
// Secret does not exist: a sidecar's cluster that needs it must never warm,
// so istiod must not answer. It answered the existing secret within
// milliseconds over the same connection setup; a second of silence is ample.
func (m *Mesh) checkMissingSecret(secure string, node adsc.Config, certDir string) error {
	m.missingSecret.Do(func() {
		missing := "kubernetes://" + missingCredential + "-cacert"
		if _, err := fetchSecret(secure, node, certDir, missing, time.Second); !errors.Is(err, errNoSecret) {
			m.missingSecret.err = fmt.Errorf("sds: %s, whose Secret does not exist, expected no answer, got: %v", missing, err)
		}
	})
	return m.missingSecret.err
}

// checkClientCertificate asks istiod for the client certificate of a MUTUAL
// credentialName and compares it with the Secret's.
func (m *Mesh) checkClientCertificate(secure string, node adsc.Config, certDir, certName string, secret *corev1.Secret, r *SDSResult) error {
	got, err := fetchSecret(secure, node, certDir, certName, 10*time.Second)
	if err != nil {
		return fmt.Errorf("sds: %v", err)
	}
	want, err := kubecredentials.ExtractCertInfo(secret)
	if err != nil {
		return fmt.Errorf("sds: Secret %s/%s: %v", secret.Namespace, secret.Name, err)
	}
	r.CertificateChain = got.GetTlsCertificate().GetCertificateChain().GetInlineBytes()
	if string(r.CertificateChain) != string(want.Cert) {
		return fmt.Errorf("sds: %s carries %d bytes of certificate chain, not the %d of Secret %s/%s", certName, len(r.CertificateChain), len(want.Cert), secret.Namespace, secret.Name)
	}
	return nil
}

// meshHosts are the hosts the scenario's fixtures add to the mesh: the
// ServiceEntries' and the Kubernetes Services' (<name>.<namespace>.svc.
// cluster.local, as Istio's kube registry names them, but ExternalName ones): the sidecar's config
// holds the scenario once it has a cluster for each. An egress gateway's
// Service, made before the fixtures, does not say that.
func meshHosts(s scenarios.Scenario) []string {
	var hosts []string
	for _, o := range s.Objects() {
		if se, ok := istioSpec(o.Istio).(*networking.ServiceEntry); ok {
			hosts = append(hosts, se.GetHosts()...)
		}
		// An ExternalName Service is an alias of the host it names, with no
		// cluster of its own (Istio pilot/pkg/serviceregistry/kube/conversion.go,
		// ConvertService: resolution model.Alias).
		if svc, ok := o.Object.(*corev1.Service); ok && svc.Spec.Type != corev1.ServiceTypeExternalName {
			hosts = append(hosts, fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, svc.Namespace))
		}
	}
	return hosts
}

// credentialNames are the credentialNames of the scenario's DestinationRules,
// for all ports or per port.
func credentialNames(s scenarios.Scenario) []string {
	var names []string
	for _, o := range s.Objects() {
		dr, ok := istioSpec(o.Istio).(*networking.DestinationRule)
		if !ok {
			continue
		}
		tls := []*networking.ClientTLSSettings{dr.GetTrafficPolicy().GetTls()}
		for _, p := range dr.GetTrafficPolicy().GetPortLevelSettings() {
			tls = append(tls, p.GetTls())
		}
		for _, t := range tls {
			if n := t.GetCredentialName(); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

func istioSpec(c *istioconfig.Config) any {
	if c == nil {
		return nil
	}
	return c.Spec
}

// credentialSecrets are the SDS names with which a cluster of the proxy
// verifies its upstream with credentialName, and presents its client
// certificate (MUTUAL); "" when none does.
func credentialSecrets(sim *simulation.Simulation, credentialName string) (validation, certificate string) {
	for _, cl := range sim.Clusters {
		if n := validationSecret(cl); strings.HasSuffix(n, "/"+credentialName+"-cacert") {
			return n, certificateSecret(cl)
		}
	}
	return "", ""
}
