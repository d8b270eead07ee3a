package controlplane

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/progress"
)

// istiod stores its self-signed CA here; its serving certificate for the
// injection webhook chains to ca-cert.pem.
const (
	CASecret    = "istio-ca-secret"
	CACertKey   = "ca-cert.pem"
	CAKeyKey    = "ca-key.pem"
	readyWithin = 90 * time.Second
)

// Options say where the pinned tools and the module's charts are.
type Options struct {
	Istiod, Helm   string // binaries (go tool -n pilot-discovery, go tool -n helm)
	IstioModuleDir string // go list -m -f {{.Dir}} istio.io/istio
	Kubeconfig     string
	Dir            string // istiod's working directory and log
	Runner         command.Runner
	Progress       io.Writer
}

// Mesh is istiod running against an API server, configured from the charts.
type Mesh struct {
	Istiod   *Istiod
	Rendered []*unstructured.Unstructured
	// Skipped are the rendered objects not applied (see appliedKinds).
	Skipped []string
	// Ready is how long istiod took from start to serving xDS.
	Ready time.Duration
	// CACert is istiod's root certificate (PEM).
	CACert, CAKey []byte
	// missingSecret is istiod's answer to a credentialName without a Secret:
	// a property of istiod, asked once (checkMissingSecret).
	missingSecret struct {
		sync.Once
		err error
	}
}

// Up renders and applies the charts, starts istiod, and points the injection
// webhook at it, printing each phase and its duration. On error, nothing is
// left running.
func Up(ctx context.Context, res *resources.Resources, o Options) (*Mesh, error) {
	m := &Mesh{}
	err := progress.Step(o.Progress, "render the base and istiod charts of the pinned istio.io/istio with the live tier's values", func() (err error) {
		m.Rendered, err = Render(ctx, o.Runner, TemplateCommands(o.Helm, o.IstioModuleDir))
		return err
	})
	if err == nil {
		err = progress.Step(o.Progress, "apply what an API server holds (RBAC, mesh and injector ConfigMaps)", func() (err error) {
			m.Skipped, err = applyConfig(ctx, res, m.Rendered)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	ports, err := FreePorts()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = progress.Step(o.Progress, "start istiod (pilot-discovery) and wait for /ready", func() (err error) {
		m.Istiod, err = Start(ctx, o.Istiod, o.Dir, ports.Args(o.Kubeconfig), ports, readyWithin)
		return err
	})
	if err != nil {
		return nil, err
	}
	m.Ready = time.Since(start)
	fmt.Fprintf(o.Progress, "istiod: pid %d, log %s\n", m.Istiod.Pid(), m.Istiod.LogPath)
	err = progress.Step(o.Progress, "point the injection webhook at istiod's CA and https://localhost", func() error {
		if err := m.readCA(ctx, res); err != nil {
			return err
		}
		return applyInjectionWebhook(ctx, res, m.Rendered, InjectionWebhook{URL: fmt.Sprintf("https://localhost:%d", ports.HTTPS), CABundle: m.CACert})
	})
	if err != nil {
		m.Istiod.Stop()
		return nil, err
	}
	return m, nil
}

// readCA waits for the CA Secret istiod writes when it starts.
func (m *Mesh) readCA(ctx context.Context, res *resources.Resources) error {
	var s corev1.Secret
	err := wait.For(func(ctx context.Context) (bool, error) {
		if e := m.Istiod.Err(); e != nil {
			return false, e
		}
		return res.Get(ctx, CASecret, istio.Namespace, &s) == nil && len(s.Data[CACertKey]) > 0, nil
	}, wait.WithTimeout(30*time.Second), wait.WithInterval(200*time.Millisecond), wait.WithImmediate(), wait.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("istiod's CA Secret %s/%s: %v", istio.Namespace, CASecret, err)
	}
	m.CACert, m.CAKey = s.Data[CACertKey], s.Data[CAKeyKey]
	return nil
}

// Down stops istiod.
func (m *Mesh) Down() { m.Istiod.Stop() }
