package controlplane

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pkg/adsc"
	"istio.io/istio/security/pkg/pki/util"

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
