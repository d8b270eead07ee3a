// Package apply is the one step that puts a scenario on an API server, shared
// by the live tier (a real cluster) and the control-plane tier (a real
// kube-apiserver and istiod without nodes): the client namespace, its CA
// objects and pod, the namespaces the fixtures need, then the fixtures, all
// labelled with the run id and the scenario; and the deletes by those labels.
package apply

import (
	"context"
	"fmt"

	istioscheme "istio.io/client-go/pkg/clientset/versioned/scheme"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	gatewayapischeme "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/scheme"

	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/scenarios"
)

func init() {
	// e2e-framework's klient decodes with client-go's scheme; Istio's and the
	// Gateway API's kinds join it so that fixtures apply as typed objects.
	for _, add := range []func(*runtime.Scheme) error{istioscheme.AddToScheme, gatewayapischeme.AddToScheme} {
		if err := add(scheme.Scheme); err != nil {
			panic(err)
		}
	}
}

// Options are what a scenario's setup needs beyond the scenario.
type Options struct {
	// RunID marks every object the run creates (config.RunIDLabel).
	RunID       string
	ClientImage string
	// CA is the run's CA in PEM (the hermetic host's); nil for none.
	CA []byte
	// HostAliases go into the client pod's /etc/hosts (hermetic mode).
	HostAliases []corev1.HostAlias
}

// Owner are the labels that mark what a run creates; scenario, when set,
// narrows them to one scenario's objects.
func Owner(runID, scenario string) map[string]string {
	l := map[string]string{config.RunIDLabel: runID}
	if scenario != "" {
		l[config.ScenarioLabel] = scenario
	}
	return l
}

// Selector selects what Owner marked.
func Selector(runID, scenario string) string {
	return labels.SelectorFromSet(Owner(runID, scenario)).String()
}

// AnyScenarioSelector selects what Owner marked for any scenario of the run,
// and not what it marked for the run alone: Helm stores a release in a
// Secret that carries the install's --labels, run id included, and deleting
// it with the fixtures' Secrets would leave the release's objects behind
// with nothing to uninstall them by.
func AnyScenarioSelector(runID string) string {
	return Selector(runID, "") + "," + config.ScenarioLabel
}

// Scenario creates the client namespace, its CA objects and pod, the CA
// Secret in the egress gateway's namespace, the
// namespaces the fixtures name that do not exist yet, then the fixtures; all
// labelled with the run id and the scenario, which is how teardown finds them.
func Scenario(ctx context.Context, res *resources.Resources, s scenarios.Scenario, o Options) error {
	owner := Owner(o.RunID, s.Name)
	objs := workload.ClientObjects(workload.ClientOptions{Namespace: s.Client.Namespace, Image: o.ClientImage, Labels: owner, CA: o.CA,
		PodLabels: s.Client.Labels, ServiceAccount: s.Client.ServiceAccountName(), HostAliases: o.HostAliases})
	if err := CreateAll(ctx, res, objs); err != nil {
		return err
	}
	// An egress gateway's DestinationRules take a credentialName from the
	// gateway's own namespace (istiod serves a Secret only to a proxy of its
	// namespace: pilot/pkg/xds/sds.go filterAuthorizedResources).
	if ns, _, ok := s.Gateway(); ok && o.CA != nil && ns != s.Client.Namespace {
		if err := CreateAll(ctx, res, []workload.Object{workload.CASecret(ns, o.CA, owner)}); err != nil {
			return err
		}
	}
	missing, err := missingNamespaces(ctx, res, s)
	if err != nil {
		return err
	}
	for _, ns := range missing {
		if err := CreateAll(ctx, res, []workload.Object{workload.PlainNamespace(ns, owner)}); err != nil {
			return err
		}
	}
	for _, f := range s.Resolved {
		for _, doc := range f.Objects {
			obj := doc.Object.DeepCopyObject().(workload.Object)
			obj.SetLabels(labels.Merge(obj.GetLabels(), owner))
			if err := CreateAll(ctx, res, []workload.Object{obj}); err != nil {
				return fmt.Errorf("fixture %s document %d: %v", f.Name, doc.Doc, err)
			}
		}
	}
	return nil
}

// missingNamespaces are the namespaces the fixtures put objects in that
// neither exist nor come with the fixtures. A namespace that exists is used as
// is and never deleted; only the run's labelled objects in it are.
func missingNamespaces(ctx context.Context, res *resources.Resources, s scenarios.Scenario) ([]string, error) {
	var missing []string
	for _, ns := range s.FixtureNamespaces() {
		err := res.Get(ctx, ns, "", &corev1.Namespace{})
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, ns)
		case err != nil:
			return nil, fmt.Errorf("look for namespace %s: %v", ns, err)
		}
	}
	return missing, nil
}

// CreateAll creates objects in order. An object that exists already is a
// clear error, never an overwrite.
func CreateAll(ctx context.Context, res *resources.Resources, objs []workload.Object) error {
	for _, o := range objs {
		err := res.Create(ctx, o)
		switch {
		case apierrors.IsAlreadyExists(err):
			return clash(ctx, res, o)
		case err != nil:
			return fmt.Errorf("create %s %s/%s: %v", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// clash says whose the existing object is: one an earlier scenario of this run
// left (kept, or still terminating), or someone else's.
func clash(ctx context.Context, res *resources.Resources, o workload.Object) error {
	what := fmt.Sprintf("%s %s/%s already exists", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName())
	existing := o.DeepCopyObject().(workload.Object)
	runID := o.GetLabels()[config.RunIDLabel]
	if runID != "" && res.Get(ctx, o.GetName(), o.GetNamespace(), existing) == nil && existing.GetLabels()[config.RunIDLabel] == runID {
		return fmt.Errorf("%s: scenario %s of this run left it (kept by E2E_KEEP, or still terminating); give the scenarios different namespaces or run them one at a time with --feature",
			what, existing.GetLabels()[config.ScenarioLabel])
	}
	return fmt.Errorf("%s and was not created by this run: remove it or use another cluster", what)
}
