# Front door for sbapi. CMake does the building; this file names the everyday tasks.
# Every target that builds first makes sure the Debian packages are there (scripts/setup.sh).

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
PORT ?= 3000
DATA_DIR ?= .data
SBAPI = $(BUILD_DIR)/sbapi

# A stamp makes setup cheap to re-check; it is redone whenever setup.sh changes.
SETUP_STAMP = $(BUILD_DIR)/.setup-done

.PHONY: setup build install local test test-sanitize bench bench-build bench-quick bench-baseline package deploy format lint clean fuzz fuzz-build

$(SETUP_STAMP): scripts/setup.sh
	bash scripts/setup.sh
	@mkdir -p $(BUILD_DIR) && touch $@

setup:
	bash scripts/setup.sh

$(BUILD_DIR)/CMakeCache.txt: $(SETUP_STAMP) CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Installs sbapi and its systemd unit (packaging/sbapi.service, docs/operations.md "Running in
# production") under $(DESTDIR)$(PREFIX): bin/sbapi, lib/systemd/system/sbapi.service.
PREFIX ?= /usr/local
DESTDIR ?=

install: build
	install -D -m 0755 $(SBAPI) $(DESTDIR)$(PREFIX)/bin/sbapi
	sed 's|@BINDIR@|$(PREFIX)/bin|g' packaging/sbapi.service > $(BUILD_DIR)/sbapi.service
	install -D -m 0644 $(BUILD_DIR)/sbapi.service $(DESTDIR)$(PREFIX)/lib/systemd/system/sbapi.service

# Builds only what it serves: the tests are built by `make test`.
local: $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target sbapi
	$(SBAPI) serve --port $(PORT) --data-dir $(DATA_DIR)

# The package test (tests/package) runs build/lambda/bootstrap.zip, so the zip is built first.
# `setup.sh --test` adds what only the tests use: Chromium and the npm tools of tests/openapi.
test: build package
	bash scripts/setup.sh --test
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2

# Same tests under AddressSanitizer + UndefinedBehaviorSanitizer, in their own build tree.
test-sanitize: $(SETUP_STAMP)
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DSBAPI_SANITIZE=ON
	cmake --build build-sanitize -j $(JOBS)
	cd build-sanitize && ctest --output-on-failure -j 2 -E '^package$$'  # the zip is a Release build

# Benchmarks (bench/README.md): its own Release tree (-O2), then the micro-benchmarks, the HTTP
# load against nginx (with CPU per request) and the instruction counts (callgrind, compared with
# bench/baseline.json) in one run; prints one table and writes it to build/bench/results.json.
# It reports: a missed target never fails it. `make bench BENCH_LTO=ON BENCH_DIR=build-bench-lto`
# builds with LTO instead; BENCH_ARGS passes options to bench/run.py (e.g. --duration 3).
BENCH_DIR ?= build-bench
BENCH_LTO ?= OFF
BENCH_ARGS ?=

# Every bench target first builds the Lambda package: the cold-start rows measure it.
bench-build: $(SETUP_STAMP) package
	bash scripts/setup.sh --bench
	cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
	      -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=$(BENCH_LTO) -DSBAPI_TESTS=OFF -DSBAPI_BENCH=ON
	cmake --build $(BENCH_DIR) -j $(JOBS) --target sbapi sbapi_bench sbapi_icount

bench: bench-build
	python3 bench/run.py --build-dir $(BENCH_DIR) --out $(BUILD_DIR)/bench $(BENCH_ARGS)

# Instruction counts (callgrind) and micro-benchmarks only: a before/after check in minutes.
bench-quick: bench-build
	python3 bench/run.py --quick --build-dir $(BENCH_DIR) --out $(BUILD_DIR)/bench $(BENCH_ARGS)

# Rewrites bench/baseline.json from 3 callgrind runs per count: commit it with the change that
# earns it.
bench-baseline: bench-build
	python3 bench/run.py --write-baseline --build-dir $(BENCH_DIR) --out $(BUILD_DIR)/bench $(BENCH_ARGS)

# Fuzzing (fuzz/README.md): the libFuzzer targets of fuzz/, built by clang 16 with ASan + UBSan in
# their own tree (only the targets and the sources they need), then each run for FUZZ_SECONDS from
# its seed corpus fuzz/corpus/<target> (new inputs go to build-fuzz/corpus/<target>, crashes to
# build-fuzz/artifacts/<target>/). CI runs `make fuzz FUZZ_SECONDS=5`. FUZZ_TARGETS picks targets;
# FUZZ_ARGS passes libFuzzer options (e.g. -jobs=2, -max_len=20000). Fails if any target failed.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= http_head_fuzzer json_body_fuzzer presigned_url_fuzzer lambda_event_fuzzer \
	dynamo_cursor_fuzzer jwt_fuzzer page_token_fuzzer traceparent_fuzzer
FUZZ_ARGS ?=

fuzz-build:
	bash scripts/setup.sh --fuzz
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=Debug \
	      "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" -DSBAPI_FUZZ=ON -DSBAPI_TESTS=OFF -DSBAPI_WERROR=OFF
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZ_TARGETS)

# -close_fd_mask=1: the code's JSON log lines (stdout) are not libFuzzer's; rerun a reproducer
# without it to see them.
fuzz: fuzz-build
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
	  dict=""; if [ -f fuzz/dict/$$t.dict ]; then dict="-dict=fuzz/dict/$$t.dict"; fi; \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-16/bin/llvm-symbolizer UBSAN_OPTIONS=print_stacktrace=1 \
	  $(FUZZ_DIR)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -close_fd_mask=1 \
	    -print_final_stats=1 $$dict -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ $(FUZZ_ARGS) \
	    $(FUZZ_DIR)/corpus/$$t fuzz/corpus/$$t 2>$(FUZZ_DIR)/$$t.log \
	    || { failed="$$failed $$t"; tail -n 60 $(FUZZ_DIR)/$$t.log; }; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)' \
	    $(FUZZ_DIR)/$$t.log || true; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed (see $(FUZZ_DIR)/<target>.log and $(FUZZ_DIR)/artifacts/)"; exit 1; fi

# The Lambda package (docs/deploy.md): build/lambda/bootstrap.zip, from its own Release tree
# (build-lambda-pkg): sbapi-lambda as `bootstrap`, everything but glibc (the runtime's) static.
package: $(SETUP_STAMP)
	bash scripts/package.sh

# Deploys the SAM stack (infrastructure/template.yaml, samconfig.toml) with the package. Needs
# the AWS SAM CLI and AWS credentials; DEPLOY_ARGS passes options to `sam deploy`.
DEPLOY_ARGS ?=

deploy:
	@command -v sam >/dev/null 2>&1 || { echo "make deploy: the AWS SAM CLI (sam) is not installed; see docs/deploy.md for the prerequisites" >&2; exit 1; }
	$(MAKE) package
	sam build --config-file samconfig.toml
	sam deploy --config-file samconfig.toml $(DEPLOY_ARGS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

# clang-tidy 16 still announces C++20 concepts as 201907, which hides libstdc++'s std::expected;
# the two -D/-U arguments tell it the truth (GCC, which builds us, needs no such help).
# -Wno-unknown-warning-option: the build's GCC-only -Wno-error=restrict is no option to clang.
TIDY_ARGS = --quiet --extra-arg=-std=c++2b --extra-arg=-Wno-builtin-macro-redefined \
	--extra-arg=-U__cpp_concepts --extra-arg=-D__cpp_concepts=202002L \
	--extra-arg=-Wno-unknown-warning-option

lint: $(BUILD_DIR)/CMakeCache.txt
	bash scripts/setup.sh --lint
	clang-format --dry-run --Werror $$(git ls-files '*.cc' '*.h')
	clang-tidy-16 -p $(BUILD_DIR) $(TIDY_ARGS) $$(git ls-files 'src/*.cc' 'tests/*.cc')

clean:
	rm -rf $(BUILD_DIR) build-sanitize build-bench build-lambda-pkg build-fuzz
