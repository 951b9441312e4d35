# One entry point for building, testing and the demo. `make test` and `make demo` set up
# everything they need on a fresh machine (see scripts/setup.sh).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER := /usr/bin/chromedriver

# binaryen 132 from npm; Debian's binaryen 108 emits modules that fail at init.
WASM_OPT_FLAGS := -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-multivalue --enable-sign-ext

.PHONY: setup build wasm extension pages www test test-rust test-wasm test-js lint fmt demo clean

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

test: build lint test-rust test-wasm test-js

test-rust:
	cargo test --all-targets

test-wasm:
	node tests/rig/with-anvil.js wasm-pack test --headless --chrome --mode no-install -- --test wasm_browser

test-js:
	node --test --test-concurrency=1 tests/rig/*.test.js tests/extension/*.test.js tests/e2e/*.test.js \
	  tests/www/*.test.js

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -- -D warnings
	biome check extension www tests scripts

fmt:
	cargo fmt
	biome check --write extension www tests scripts

demo: build
	node scripts/demo.js

clean:
	rm -rf target pkg dist tests/pages/build
