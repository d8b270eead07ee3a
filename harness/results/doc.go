// Package results holds what every tier produces and every report reads: the
// prediction read from a proxy's config, what the live client observed, and
// the verdict of each check. It imports no engine, tier or probe, so the
// report writers and every engine can share it (the shape of Gateway API's
// conformance/apis).
package results
