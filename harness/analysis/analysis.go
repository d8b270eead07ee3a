// Package analysis runs the analyzers `istioctl analyze` runs (the pinned
// module's pkg/config/analysis: analyzers.AllCombined) on a scenario's
// fixture files, together with what the harness puts around them at run
// time: the client's injected namespace and pod, and the egress gateway's
// Service and pod. Without those, the analyzers that read pods and services
// would report every gateway selector and subset as matching nothing.
package analysis

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/diag"
	"istio.io/istio/pkg/config/analysis/legacy/source/kube"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	istiolog "istio.io/istio/pkg/log"

	"istio-egress-conformance/scenarios"
)

// Message is one analyzer finding.
type Message struct {
	// Level is Error, Warning or Info; Code is Istio's (IST0101).
	Level, Code, Text string
	// Object is "Kind namespace/name"; File and Line where it is written.
	Object, File string
	Line         int
}

// String is istioctl's form: "Warning [IST0128] (DestinationRule ns/name tetrate.yaml:30) text".
func (m Message) String() string {
	where := m.Object
	if m.File != "" {
		where += fmt.Sprintf(" %s:%d", m.File, m.Line)
	}
	return fmt.Sprintf("%s [%s] (%s) %s", m.Level, m.Code, strings.TrimSpace(where), m.Text)
}

// IsError tells an analyzer error, which fails a scenario's load.
func (m Message) IsError() bool { return m.Level == diag.Error.String() }

// Of analyzes the scenario's fixture files, minus the messages its
// suppressAnalysis lists (code=resource glob, as istioctl's --suppress).
func Of(s scenarios.Scenario) ([]Message, error) {
	// Its informers log each sync at info; what matters comes back as messages.
	for _, scope := range istiolog.Scopes() {
		scope.SetOutputLevel(istiolog.NoneLevel)
	}
	// "" analyzes every namespace: a namespace given would also filter the
	// messages to it (local/istiod_analyze.go, NewIstiodAnalyzer).
	sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), "", resource.Namespace(scenarios.GatewayNamespace), nil)
	var suppressions []local.AnalysisSuppression
	for _, rule := range s.SuppressAnalysis {
		code, res, _ := strings.Cut(rule, "=")
		suppressions = append(suppressions, local.AnalysisSuppression{Code: code, ResourceName: res})
	}
	sa.SetSuppressions(suppressions)
	var sources []local.ReaderSource
	for _, f := range s.Resolved {
		sources = append(sources, local.ReaderSource{Name: path.Base(f.Name), Reader: bytes.NewReader(f.Data)})
	}
	runtimeObjects, err := surroundings(s)
	if err != nil {
		return nil, err
	}
	sources = append(sources, local.ReaderSource{Name: "(harness)", Reader: bytes.NewReader(runtimeObjects)})
	// The test reader keeps Pods, Services and Namespaces, which
	// AddReaderKubeSource drops (and with them every analyzer reading them:
	// istiod_analyze.go, AddReaderKubeSource and DefaultExcludedSchemas).
	if err := sa.AddTestReaderKubeSource(sources); err != nil {
		return nil, fmt.Errorf("istio analyzers: reading the fixtures: %v", err)
	}
	cancel := make(chan struct{})
	defer close(cancel)
	res, err := sa.Analyze(cancel)
	if err != nil {
		return nil, fmt.Errorf("istio analyzers: %v", err)
	}
	var out []Message
	for _, m := range res.Messages {
		out = append(out, messageOf(m))
	}
	return out, nil
}

func messageOf(m diag.Message) Message {
	out := Message{Level: m.Type.Level().String(), Code: m.Type.Code(), Text: fmt.Sprintf(m.Type.Template(), m.Parameters...), Line: m.Line}
	if m.Resource != nil && m.Resource.Origin != nil {
		out.Object = m.Resource.Origin.FriendlyName()
		if p, ok := m.Resource.Origin.Reference().(*kube.Position); ok {
			out.File = p.Filename
			if out.Line == 0 {
				out.Line = p.Line
			}
		}
	}
	return out
}

// Errors are the messages of level Error, one line each, joined.
func Errors(msgs []Message) error {
	var lines []string
	for _, m := range msgs {
		if m.IsError() {
			lines = append(lines, m.String())
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("istio analyzers: %s", strings.Join(lines, "; "))
}

// Lines are the messages, one line each.
func Lines(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.String())
	}
	return out
}
