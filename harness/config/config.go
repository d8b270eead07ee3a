// Package config reads the live tier's knobs from the environment. Every knob
// has a pinned default; a bad value is a one-line error naming the variable.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	kinddefaults "sigs.k8s.io/kind/pkg/apis/config/defaults"
)

// Defaults, pinned so that a run is reproducible; each is overridable.
const (
	DefaultKindCluster    = "egress-conformance"
	DefaultIstioVersion   = "1.32.0"
	DefaultIstioChartRepo = "https://istio-release.storage.googleapis.com/charts"
	DefaultClientImage    = "curlimages/curl:8.11.1"
	DefaultServerImage    = "nginx:1.27.3-alpine"
	DefaultConsecutive    = 3
	DefaultCheckTimeout   = 60 * time.Second
)

// DefaultKindNodeImage is the node image of the pinned kind release.
const DefaultKindNodeImage = kinddefaults.Image

// External modes: a hermetic in-cluster HTTPS host, or the real one on the Internet.
const (
	ExternalHermetic = "hermetic"
	ExternalInternet = "internet"
)

// Keep policies for what a run created.
const (
	KeepNever     = "never"
	KeepAlways    = "always"
	KeepOnFailure = "on-failure"
)

// Config is everything the live tier can be told.
type Config struct {
	RequireCluster bool   // E2E_REQUIRE_CLUSTER, default 1: no cluster is a failure; 0 makes it a skip
	Kubeconfig     string // KUBECONFIG (or --kubeconfig): use that cluster as is, never delete it
	KindCluster    string // E2E_KIND_CLUSTER
	KindNodeImage  string // E2E_KIND_NODE_IMAGE
	KindConfig     string // E2E_KIND_CONFIG: a kind cluster config file
	IstioVersion   string // E2E_ISTIO_VERSION
	IstioChartRepo string // E2E_ISTIO_CHART_REPO
	External       string // E2E_EXTERNAL: hermetic | internet
	ClientImage    string // E2E_CLIENT_IMAGE
	ServerImage    string // E2E_SERVER_IMAGE
	Consecutive    int    // E2E_CONSECUTIVE: matching answers in a row for a check to pass
	CheckTimeout   time.Duration
	Keep           string // E2E_KEEP: never | always | on-failure
	// UniqueNamespaces (E2E_UNIQUE_NAMESPACES=1) suffixes the namespaces a run
	// creates with its run id, so that two runs can share a cluster.
	UniqueNamespaces bool
	// PreloadImages (E2E_PRELOAD_IMAGES=1) loads the client and server images
	// from the local Docker engine into the kind cluster, for air-gapped or
	// rate-limited CI.
	PreloadImages bool
	// Sweep (E2E_SWEEP=<run id>) removes what that run left on the cluster in
	// KUBECONFIG instead of running; RunID is then that run's id.
	Sweep     string
	Artifacts string // ARTIFACTS
	RunID     string // generated per run; labels everything the run creates
}

// Ownership labels. Teardown finds what to delete by these labels, and only by them.
const (
	// RunIDLabel marks every object a run creates, with the run id as value.
	RunIDLabel = "egress-conformance.io/run-id"
	// ScenarioLabel marks a scenario's objects, with the scenario name as value.
	ScenarioLabel = "egress-conformance.io/scenario"
)

// FromEnv reads the configuration through getenv (os.Getenv in production).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Kubeconfig:     getenv("KUBECONFIG"),
		KindCluster:    orDefault(getenv("E2E_KIND_CLUSTER"), DefaultKindCluster),
		KindNodeImage:  orDefault(getenv("E2E_KIND_NODE_IMAGE"), DefaultKindNodeImage),
		KindConfig:     getenv("E2E_KIND_CONFIG"),
		IstioVersion:   orDefault(getenv("E2E_ISTIO_VERSION"), DefaultIstioVersion),
		IstioChartRepo: orDefault(getenv("E2E_ISTIO_CHART_REPO"), DefaultIstioChartRepo),
		External:       orDefault(getenv("E2E_EXTERNAL"), ExternalHermetic),
		ClientImage:    orDefault(getenv("E2E_CLIENT_IMAGE"), DefaultClientImage),
		ServerImage:    orDefault(getenv("E2E_SERVER_IMAGE"), DefaultServerImage),
		Keep:           orDefault(getenv("E2E_KEEP"), KeepNever),
		Artifacts:      orDefault(getenv("ARTIFACTS"), ArtifactsDir()),
	}
	var err error
	if c.RequireCluster, err = parseBool(getenv, "E2E_REQUIRE_CLUSTER", true); err != nil {
		return Config{}, err
	}
	if c.UniqueNamespaces, err = parseBool(getenv, "E2E_UNIQUE_NAMESPACES", false); err != nil {
		return Config{}, err
	}
	if c.PreloadImages, err = parseBool(getenv, "E2E_PRELOAD_IMAGES", false); err != nil {
		return Config{}, err
	}
	if c.Consecutive, err = parsePositiveInt(getenv, "E2E_CONSECUTIVE", DefaultConsecutive); err != nil {
		return Config{}, err
	}
	if c.CheckTimeout, err = parseDuration(getenv, "E2E_CHECK_TIMEOUT", DefaultCheckTimeout); err != nil {
		return Config{}, err
	}
	if err := oneOf("E2E_EXTERNAL", c.External, ExternalHermetic, ExternalInternet); err != nil {
		return Config{}, err
	}
	if err := oneOf("E2E_KEEP", c.Keep, KeepNever, KeepAlways, KeepOnFailure); err != nil {
		return Config{}, err
	}
	if !versionPattern.MatchString(c.IstioVersion) {
		return Config{}, fmt.Errorf("E2E_ISTIO_VERSION=%q: expected a release version such as 1.32.0 or 1.31.2", c.IstioVersion)
	}
	if !namePattern.MatchString(c.KindCluster) {
		return Config{}, fmt.Errorf("E2E_KIND_CLUSTER=%q: expected lowercase letters, digits and dashes", c.KindCluster)
	}
	if c.Artifacts, err = filepath.Abs(c.Artifacts); err != nil {
		return Config{}, fmt.Errorf("ARTIFACTS: %v", err)
	}
	c.RunID = newRunID()
	if c.Sweep = getenv("E2E_SWEEP"); c.Sweep != "" {
		if !runIDPattern.MatchString(c.Sweep) {
			return Config{}, fmt.Errorf("E2E_SWEEP=%q: expected the 8-hex-digit id of an earlier run, as its first line printed", c.Sweep)
		}
		if c.Kubeconfig == "" {
			return Config{}, fmt.Errorf("E2E_SWEEP=%s needs KUBECONFIG: a sweep cleans an existing cluster (a kind cluster a run created is removed with go tool kind delete cluster)", c.Sweep)
		}
		c.RunID = c.Sweep
	}
	return c, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func parseBool(getenv func(string) string, name string, def bool) (bool, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: expected 1, 0, true or false", name, v)
	}
	return b, nil
}

func parsePositiveInt(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: expected a positive whole number", name, v)
	}
	return n, nil
}

func parseDuration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: expected a positive duration such as 90s or 2m", name, v)
	}
	return d, nil
}

func oneOf(name, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s=%q: expected one of %v", name, v, allowed)
}

// newRunID is short enough for label values and namespace suffixes.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
