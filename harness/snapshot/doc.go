// Package snapshot writes a scenario from a team's own objects: a check per
// host and port they declare, and one for a host none declares, each with
// every expectation the offline translation predicts, and the answer where
// the config alone decides it. A later run of the same objects, or of
// changed ones, is compared with it field by field (Diff).
package snapshot
