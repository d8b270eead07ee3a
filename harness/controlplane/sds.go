package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	kubecredentials "istio.io/istio/pilot/pkg/credentials/kube"
	"istio.io/istio/pilot/pkg/simulation"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pkg/adsc"
	"istio.io/istio/security/pkg/pki/util"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/judge"
)

// istiodSAN is a name istiod's serving certificate always carries
// (istio.io/istio pilot/pkg/bootstrap/server.go, getDNSNames: istiod.<namespace>.svc).
const istiodSAN = "istiod.istio-system.svc"

// errNoSecret says istiod sent no secret: a sidecar whose cluster needs it
// would never warm.
var errNoSecret = errors.New("istiod sent no secret")

// workloadCertDir writes, into dir, what a sidecar of namespace/serviceAccount
// holds after its CSR: a certificate with its SPIFFE identity signed by
// istiod's CA, its key, and the root (cert-chain.pem, key.pem,
// root-cert.pem, as adsc's CertDir reads them).
func workloadCertDir(dir string, caCertPEM, caKeyPEM []byte, namespace, serviceAccount string) error {
	caCert, err := util.ParsePemEncodedCertificate(caCertPEM)
	if err != nil {
		return fmt.Errorf("istiod's CA certificate: %v", err)
	}
	caKey, err := util.ParsePemEncodedKey(caKeyPEM)
	if err != nil {
		return fmt.Errorf("istiod's CA key: %v", err)
	}
	certPEM, keyPEM, err := util.GenCertKeyFromOptions(util.CertOptions{
		Host: fmt.Sprintf("spiffe://cluster.local/ns/%s/sa/%s", namespace, serviceAccount), TTL: time.Hour,
		SignerCert: caCert, SignerPriv: caKey, IsClient: true, IsServer: true, RSAKeySize: 2048, // as Istio's CA issues them
	})
	if err != nil {
		return fmt.Errorf("workload certificate for %s/%s: %v", namespace, serviceAccount, err)
	}
	for name, b := range map[string][]byte{"cert-chain.pem": certPEM, "key.pem": keyPEM, "root-cert.pem": caCertPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// fetchSecret asks istiod's mTLS port for one SDS secret, as the sidecar
// whose identity certDir holds; errNoSecret when none comes within wait.
func fetchSecret(secureAddr string, sidecar adsc.Config, certDir, name string, wait time.Duration) (*tlsv3.Secret, error) {
	sidecar.CertDir, sidecar.XDSSAN = certDir, istiodSAN
	c, err := adsc.New(secureAddr, &adsc.ADSConfig{Config: sidecar, InitialDiscoveryRequests: []*discovery.DiscoveryRequest{
		{TypeUrl: v3.SecretType, ResourceNames: []string{name}},
	}})
	if err != nil {
		return nil, fmt.Errorf("sds client for %s: %v", secureAddr, err)
	}
	if err := c.Run(); err != nil {
		return nil, fmt.Errorf("sds stream to %s: %v", secureAddr, err)
	}
	defer c.Close()
	timeout := time.After(wait)
	for {
		select {
		case msg := <-c.XDSUpdates:
			if msg == nil {
				return nil, fmt.Errorf("sds stream to %s closed", secureAddr)
			}
			for _, r := range msg.GetResources() {
				s := &tlsv3.Secret{}
				if r.UnmarshalTo(s) == nil && s.GetName() == name {
					return s, nil
				}
			}
		case <-timeout:
			return nil, fmt.Errorf("%s: %w within %s", name, errNoSecret, wait)
		}
	}
}

// validationSecret is the SDS secret a cluster verifies its upstream with
// (the "-cacert" half of a DestinationRule's credentialName); "" when it
// verifies with a file (system roots) or originates no TLS.
func validationSecret(cl *cluster.Cluster) string {
	ctx, _ := judge.UpstreamTLSContext(cl) // unreadable: no secret to name
	common := ctx.GetCommonTlsContext()
	if n := common.GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName(); n != "" {
		return n
	}
	return common.GetValidationContextSdsSecretConfig().GetName()
}

// certificateSecret is the SDS secret of the client certificate a cluster
// presents (MUTUAL's kubernetes://<credentialName>); "" without one.
func certificateSecret(cl *cluster.Cluster) string {
	ctx, _ := judge.UpstreamTLSContext(cl)
	if certs := ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs(); len(certs) > 0 {
		return certs[0].GetName()
	}
	return ""
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

// checkCredentials asks istiod, for each credentialName, for the SDS
// secrets of the proxies whose clusters use it (the sidecar, the gateway,
// whose DestinationRules' Secrets live in its own namespace); a
// credentialName no cluster uses is an SDSResult with its error.
func (m *Mesh) checkCredentials(ctx context.Context, cfg *envconf.Config, names []string, proxies []sdsProxy) []SDSResult {
	var out []SDSResult
	for _, name := range names {
		found := false
		for _, p := range proxies {
			sdsName, certName := credentialSecrets(p.sim, name)
			if sdsName == "" {
				continue
			}
			found = true
			r := SDSResult{CredentialName: name, Proxy: p.name, Resource: sdsName, CertificateResource: certName}
			r.Err = m.checkSDS(ctx, cfg, p, &r)
			out = append(out, r)
		}
		if !found {
			out = append(out, SDSResult{CredentialName: name, Err: fmt.Errorf("sds: no cluster verifies its upstream with credentialName %s (Istio drops it from a sidecar DestinationRule without a workloadSelector)", name)})
		}
	}
	return out
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
