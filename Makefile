# Entry points. `make test` is what CI runs (.ci/run); `make conformance` is the
# live end-to-end job (Docker or an existing cluster, and internet for images and charts).

ARTIFACTS ?= $(CURDIR)/artifacts
export ARTIFACTS
GO ?= go
GOTESTSUM = $(GO) tool gotestsum

.PHONY: test conformance offline controlplane lint fuzz bench sweep tools

## test: lint, then every test (offline and control-plane tiers, unit tests, the live tier's Kubernetes steps
## against a real kube-apiserver + etcd); -short skips the live suite itself, which needs a cluster. JUnit in $(ARTIFACTS)
# -p 4 on 2 cores: most of the time the API-server and istiod tests wait (for etcd, a
# readiness poll, a push), so four packages at once keep the cores busy. -vet=off: lint
# has just vetted every package.
test: lint tools
	@mkdir -p $(ARTIFACTS)
	$(GOTESTSUM) --format testname --junitfile $(ARTIFACTS)/go-test-junit.xml -- -count=1 -short -p 4 -vet=off ./...

## offline: only the offline conformance tier over the catalog (E2E_SCENARIOS=<dir> to replace it)
offline:
	@mkdir -p $(ARTIFACTS)
	$(GOTESTSUM) --format testname --junitfile $(ARTIFACTS)/go-test-offline-junit.xml -- -count=1 ./features/offline/

## controlplane: only the control-plane tier (real istiod on a real API server) over the catalog
controlplane: tools
	@mkdir -p $(ARTIFACTS)
	$(GOTESTSUM) --format testname --junitfile $(ARTIFACTS)/go-test-controlplane-junit.xml -- -count=1 ./features/controlplane/

## conformance: the live tier end to end: kind + Istio, every scenario, teardown
conformance:
	@mkdir -p $(ARTIFACTS)
	E2E_REQUIRE_CLUSTER=$${E2E_REQUIRE_CLUSTER:-1} $(GOTESTSUM) --format testname --junitfile $(ARTIFACTS)/go-test-live-junit.xml -- \
		-count=1 -timeout 60m ./features/live/ $(if $(E2E_ARGS),-args $(E2E_ARGS))

# actionlint does not build in this module's graph (go.yaml.in/yaml/v4 versions clash),
# so it runs pinned by version with `go run`.
ACTIONLINT = github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

# kube-apiserver and etcd for the API server tests, pinned in tools/envtest (a module of its own, so
# k8s.io/kubernetes never enters this module's graph), built once into bin/. Users with
# KUBEBUILDER_ASSETS set (setup-envtest) use theirs instead.
KUBE_VERSION = v1.35.4
KUBE_LDFLAGS = -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35 \
	-X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z
BIN = $(CURDIR)/bin

.PHONY: envtest-bins
envtest-bins: $(BIN)/kube-apiserver $(BIN)/etcd

## tools: build every tool the tests run (helm, kind, pilot-discovery, kube-apiserver, etcd) before they
## start, so no test's timing includes a build; `go tool -n` builds a pinned tool into the build cache.
TOOLS = helm kind pilot-discovery
tools: envtest-bins
	@for t in $(TOOLS); do $(GO) tool -n $$t >/dev/null || exit 1; done

$(BIN)/kube-apiserver: tools/envtest/go.mod
	cd tools/envtest && $(GO) build -o $@ -ldflags '$(KUBE_LDFLAGS)' k8s.io/kubernetes/cmd/kube-apiserver

$(BIN)/etcd: tools/envtest/go.mod
	cd tools/envtest && $(GO) build -o $@ go.etcd.io/etcd/server/v3

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(ACTIONLINT) -shellcheck= -pyflakes= .github/workflows/*.yml

## fuzz: each fuzz target for FUZZTIME (default 60s)
FUZZTIME ?= 60s
# Minimizing each new input (60s by default) would eat the whole budget of the curl target.
FUZZFLAGS ?= -fuzzminimizetime 0
# package:target, one per fuzz target; each has a seed corpus in <package>/testdata/fuzz/<target>.
FUZZ_TARGETS = harness/fixture:FuzzParse harness/fixture:FuzzRenameNamespaces harness/fixture:FuzzRenameHost scenarios:FuzzParse \
	scenarios/contract:FuzzParseDuration harness/curl:FuzzParse harness/config:FuzzFromEnv features/offline:FuzzFromConfigDump \
	harness/snapshot:FuzzParseLabels harness/results:FuzzConfigPath
# Every target runs even when one fails; the failed ones are listed at the end.
# Go's fuzz coordinator can report "context deadline exceeded" at the very end of
# -fuzztime with nothing found: it wakes on the deadline before the workers'
# context is cancelled (internal/fuzz/fuzz.go, stop: err == fuzzCtx.Err();
# context.go cancel closes done before cancelling children). That is no finding.
fuzz:
	@failed=""; log=$$(mktemp); rc=$$(mktemp); for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t for $(FUZZTIME)"; \
		{ $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./$${t%%:*}/; echo $$? > $$rc; } 2>&1 | tee $$log; \
		if [ "$$(cat $$rc)" != 0 ]; then \
			if grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
				echo "fuzz $$t: ran for $(FUZZTIME), nothing found (Go's deadline race, not a finding)"; \
			else failed="$$failed $$t"; fi; \
		fi; \
	done; rm -f $$log $$rc; \
	if [ -n "$$failed" ]; then echo "fuzz failed:$$failed"; exit 1; fi

## sweep: remove what run RUN_ID left on the cluster in KUBECONFIG (killed, or kept by E2E_KEEP)
sweep:
	@test -n "$(RUN_ID)" || { echo "usage: make sweep RUN_ID=<the id the run printed first> (and KUBECONFIG)"; exit 2; }
	E2E_SWEEP=$(RUN_ID) $(GO) test ./features/live/ -count=1 -run '^$$' -v

## bench: the offline engine's benchmarks, and 20 seed copies through one istiod (one iteration: about 20 s)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./features/offline/
	$(GO) test -run '^$$' -bench . -benchtime 1x ./features/controlplane/

## snapshot: a scenario from your own objects, on standard output:
## make snapshot SNAPSHOT_ARGS='--namespace NS [--egress-gateway NAME] [--diff FILE] PATH...' (docs/snapshot.md)
.PHONY: snapshot
snapshot:
	@$(GO) run ./cmd/snapshot $(SNAPSHOT_ARGS)
