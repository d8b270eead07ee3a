package snapshot

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// flowKeys are the small maps written on one line, as the catalog does
// (upstream: {port: 443, tls: {sni: tetrate.io}}).
var flowKeys = map[string]bool{"labels": true, "upstream": true, "retries": true}

// Render is the snapshot as a scenario file: the contract's fields in their
// order, a comment above each check naming the objects behind it, and the
// same bytes for the same snapshot (no timestamps, checks in target order).
func (s Snapshot) Render() ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(s.Scenario); err != nil {
		return nil, fmt.Errorf("snapshot: encoding the scenario: %v", err)
	}
	doc.HeadComment = "Written by cmd/snapshot; regenerate it rather than edit it (docs/snapshot.md)."
	if len(s.Analysis) > 0 {
		doc.HeadComment += "\nIstio's analyzers (istioctl analyze) on the inputs:\n  " + strings.Join(s.Analysis, "\n  ")
	}
	flow(&doc)
	checks := valueOf(&doc, "checks")
	for i, item := range checks.Content {
		item.HeadComment = strings.Join(s.comment(i), "\n")
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	err := enc.Encode(&doc)
	if err == nil {
		err = enc.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot: writing the scenario: %v", err)
	}
	return out.Bytes(), nil
}

// comment is what check i's comment says: the objects behind the sidecar's
// config for it, and the egress gateway's.
func (s Snapshot) comment(i int) []string {
	n := s.Notes[i]
	var lines []string
	switch {
	case n.Undeclared:
		lines = append(lines, "No object declares this host: the outbound traffic policy decides.")
	case len(n.Sidecar) == 0:
		lines = append(lines, "No input object shapes this request at the sidecar.")
	default:
		lines = append(lines, "sidecar: "+strings.Join(n.Sidecar, ", "))
	}
	if len(n.Gateway) > 0 {
		lines = append(lines, "egress gateway: "+strings.Join(n.Gateway, ", "))
	}
	return lines
}

// valueOf is the value of key in the document's top mapping.
func valueOf(doc *yaml.Node, key string) *yaml.Node {
	top := doc
	if top.Kind == yaml.DocumentNode {
		top = top.Content[0]
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == key {
			return top.Content[i+1]
		}
	}
	return &yaml.Node{}
}

// flow writes the maps of flowKeys on one line.
func flow(n *yaml.Node) {
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 1 && flowKeys[n.Content[i-1].Value] {
			c.Style = yaml.FlowStyle
		}
		flow(c)
	}
}
