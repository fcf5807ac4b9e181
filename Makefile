# box: build, rootfs and test entry points. See docs/cli-contract.md.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := all
# Targets depend on each other in order (deps, then build, then rootfs);
# parallelism happens inside cmake --build.
.NOTPARALLEL:

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
NPROC      := $(shell nproc 2>/dev/null || echo 2)
BOX        := $(BUILD_DIR)/box
ROOTFS_DIR ?= rootfs
CMD        ?= echo hello from box; uname -a; id; cat /etc/os-release | head -1

# Files checked by `make lint`. Bats files are checked as bash.
LINT_SH   := $(wildcard hack/*.sh) $(wildcard .ci/run) $(wildcard runtime/tools/*.sh) runtime/tools/box.bash-completion
LINT_BATS := $(wildcard test/*.bats) $(wildcard test/*/*.bats) $(wildcard test/*.bash) $(wildcard test/*/*.bash)

# make install: where, as packagers expect (runc installs to $(PREFIX)/sbin too).
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# Single-quote $(1) for the shell.
shquote = '$(subst ','\'',$(1))'

.PHONY: all deps build install rootfs test test-unit test-rootless test-engines test-k8s run lint clean bench fuzz test-asan

all: build

deps:
	@if ! hack/install-deps.sh --check >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -eq 0 ]; then \
	    hack/install-deps.sh; \
	  else \
	    hack/install-deps.sh --check >&2 || true; \
	    echo "make: some dependencies are missing; install them with: sudo hack/install-deps.sh" >&2; \
	  fi; \
	fi

# Configure only when there is no cache yet (or a previous configure failed
# before generating build files); cmake --build re-runs cmake when needed.
build:
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ] || \
	    { [ ! -f $(BUILD_DIR)/Makefile ] && [ ! -f $(BUILD_DIR)/build.ninja ]; }; then \
	  cmake -S runtime -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	fi
	cmake --build $(BUILD_DIR) -j$(NPROC)

# The stripped binary, box(8) (generated from --help at build time) and the bash completion.
# Like runc's, it installs what `make` built and builds nothing itself (so that
# `sudo make install` after `make` does not rebuild as root).
install:
	@for f in $(BOX) $(BUILD_DIR)/box-systemd $(BUILD_DIR)/box.8; do \
	  [ -f "$$f" ] || { echo "make: $$f is missing: run make first" >&2; exit 1; }; \
	done
	install -D -m 0755 -s $(BOX) $(call shquote,$(DESTDIR)$(BINDIR)/box)
	install -D -m 0755 -s $(BUILD_DIR)/box-systemd $(call shquote,$(DESTDIR)$(BINDIR)/box-systemd)
	install -D -m 0644 $(BUILD_DIR)/box.8 $(call shquote,$(DESTDIR)$(MANDIR)/man8/box.8)
	install -D -m 0644 runtime/tools/box.bash-completion $(call shquote,$(DESTDIR)$(BASHCOMPDIR)/box)

rootfs:
	ROOTFS_DIR=$(call shquote,$(ROOTFS_DIR)) hack/fetch-rootfs.sh

test: deps build rootfs
	BUILD_DIR=$(call shquote,$(BUILD_DIR)) ROOTFS_DIR=$(call shquote,$(ROOTFS_DIR)) hack/test.sh

test-unit: build
	BUILD_DIR=$(call shquote,$(BUILD_DIR)) BOX_UNIT_ONLY=1 hack/test.sh

test-rootless: deps build rootfs
	BUILD_DIR=$(call shquote,$(BUILD_DIR)) ROOTFS_DIR=$(call shquote,$(ROOTFS_DIR)) BOX_ROOTLESS_ONLY=1 hack/test.sh

# Docker, podman (root and rootless) and containerd driving runc, then box
# (installs them from Debian as root); docs/engines.md
test-engines: deps build rootfs
	BUILD_DIR=$(call shquote,$(BUILD_DIR)) ROOTFS_DIR=$(call shquote,$(ROOTFS_DIR)) hack/test-engines.sh

# Kubernetes pods through containerd's CRI plugin, runc then box as the runc
# shim's BinaryName (installs containerd, the CNI plugins and Python's gRPC
# from Debian as root); docs/engines.md
test-k8s: deps build rootfs
	BUILD_DIR=$(call shquote,$(BUILD_DIR)) ROOTFS_DIR=$(call shquote,$(ROOTFS_DIR)) hack/test-k8s.sh

# The systemd cgroup driver against a real systemd (booted by box where PID 1
# is not systemd; hack/systemd-host.sh); README "The systemd cgroup driver"
test-systemd: deps build rootfs
	BUILD_DIR=$(call shquote,$(BUILD_DIR)) ROOTFS_DIR=$(call shquote,$(ROOTFS_DIR)) hack/test-systemd.sh

# Run one container from the test rootfs: make run CMD='ls -l /'
run: deps build rootfs
	@bundle="$(abspath $(BUILD_DIR))/run-bundle"; \
	mkdir -p "$$bundle"; \
	if [ ! -d "$$bundle/rootfs" ]; then cp -a $(ROOTFS_DIR)/rootfs "$$bundle/rootfs"; fi; \
	rm -f "$$bundle/config.json"; \
	$(BOX) spec --bundle "$$bundle"; \
	jq --arg cmd $(call shquote,$(value CMD)) \
	  '.process.args = ["sh", "-c", $$cmd] | .process.terminal = false' \
	  "$$bundle/config.json" > "$$bundle/config.json.tmp"; \
	mv "$$bundle/config.json.tmp" "$$bundle/config.json"; \
	$(BOX) --root "$(abspath $(BUILD_DIR))/run-state" run --bundle "$$bundle" run-$$$$

lint:
	@command -v shellcheck >/dev/null || { echo "make: shellcheck is not installed (apt-get install shellcheck)" >&2; exit 1; }
	shellcheck $(LINT_SH)
	$(if $(strip $(LINT_BATS)),shellcheck -s bash $(LINT_BATS))
	hack/lint.sh

clean:
	rm -rf $(BUILD_DIR)
	rm -rf build-asan build-fuzz build-lint

bench: build rootfs
	@if [ -x hack/bench.sh ]; then hack/bench.sh; \
	elif [ -f hack/bench.sh ]; then bash hack/bench.sh; \
	else echo "make: no hack/bench.sh"; fi

# libFuzzer targets (runtime/fuzz/), built with clang in build-fuzz/ and run
# FUZZ_SECONDS each; crashing inputs land in runtime/fuzz/crashes/.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(call shquote,$(FUZZ_SECONDS)) hack/fuzz.sh

# The unit tests and a subset of the bats suite against an ASan+UBSan build
# in build-asan/.
test-asan: deps rootfs
	ROOTFS_DIR=$(call shquote,$(ROOTFS_DIR)) hack/test-asan.sh
