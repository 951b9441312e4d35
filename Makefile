# One entry point for building, testing and the demo. `make test` and `make demo` set up
# everything they need on a fresh machine (see scripts/setup.sh).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER := /usr/bin/chromedriver

# binaryen 132 from npm; Debian's binaryen 108 emits modules that fail at init.
WASM_OPT_FLAGS := -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-multivalue --enable-sign-ext

.PHONY: setup build wasm extension pages www test test-rust test-wasm test-js lint fmt contract demo clean screenshots

setup:
	scripts/setup.sh

build: setup wasm extension pages www

wasm:
	wasm-pack build --target web --release --mode no-install --out-dir pkg --out-name rpc_lifeline
	wasm-opt $(WASM_OPT_FLAGS) pkg/rpc_lifeline_bg.wasm -o pkg/rpc_lifeline_bg.wasm
	@raw=$$(stat -c %s pkg/rpc_lifeline_bg.wasm); gz=$$(gzip -9c pkg/rpc_lifeline_bg.wasm | wc -c); \
	  echo "wasm size: $$raw bytes raw, $$gz bytes gzipped"

extension:
	node scripts/build-extension.js

pages:
	node tests/rig/build-pages.js

# The playground, the endpoint dashboard and the embed (dist/www: static files).
www:
	node scripts/build-www.js

test: build lint test-rust test-wasm test-js test-fuzz-short test-firefox

# Property tests draw fixed cases here so a CI run is repeatable; a plain `cargo test` draws new
# ones every time, and each failure found that way becomes a named test in tests/properties.rs.
test-rust:
	PROPTEST_RNG_SEED=1 cargo test --all-targets

test-wasm:
	node tests/rig/with-anvil.js wasm-pack test --headless --chrome --mode no-install -- --test wasm_browser

test-js:
	node --test --test-concurrency=1 tests/rig/*.test.js tests/extension/*.test.js tests/e2e/*.test.js \
	  tests/www/*.test.js tests/package/*.test.js

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -- -D warnings
	biome check extension www tests scripts

# Rewrites docs/screenshots/*.png from the browser tests that take them (`make test` does not).
screenshots: build
	LIFELINE_SCREENSHOTS=1 node --test --test-concurrency=1 tests/e2e/extension.test.js \
	  tests/e2e/failover.test.js tests/e2e/lifecycle.test.js tests/www/*.test.js

# Rewrites extension/contract.js from the Rust engine (tests/contract.rs fails when stale).
contract:
	UPDATE_CONTRACT=1 cargo test --test contract

fmt:
	cargo fmt
	biome check --write extension www tests scripts

demo: build
	node scripts/demo.js

clean:
	rm -rf target pkg dist tests/pages/build

# --- hardening and release (docs/hardening.md) ------------------------------------------------
.PHONY: fuzz test-fuzz-short package soak test-firefox

# Coverage-guided fuzzing (cargo-fuzz/libFuzzer on stable via RUSTC_BOOTSTRAP=1): every target
# for FUZZ_SECONDS each, after replaying every kept finding in fuzz/regressions/.
FUZZ_SECONDS ?= 60
fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)

# The short form `make test` runs.
test-fuzz-short:
	FUZZ_SEED=1 fuzz/run.sh 10

# Store packages in dist/packages/, versioned from Cargo.toml, after the store checks.
package: build
	node scripts/package.js

# The full soak: 20 tabs × 5 reads/s for 10 minutes (`make test` runs 60 s of it).
SOAK_SECONDS ?= 600
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) node --test tests/e2e/soak.test.js

# dist/firefox in Debian's firefox-esr through geckodriver, and web-ext lint.
test-firefox: build
	@command -v firefox-esr >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null; }
	@command -v geckodriver >/dev/null || cargo install geckodriver --version 0.37.1 --locked
	FIREFOX_REQUIRED=1 node --test tests/firefox/

# Benchmarks: the engine natively (criterion), then overhead, service worker and outage
# survival against viem's and ethers' fallbacks in one run (bench/run.js). Writes
# bench/results.json and bench/results.md; about 5 minutes (builds first if dist/ is missing).
.PHONY: bench
bench:
	test -f dist/chrome/pkg/rpc_lifeline_bg.wasm || $(MAKE) build
	cargo bench --bench engine
	node bench/run.js
