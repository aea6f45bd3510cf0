# kcore: `make demo` runs the demo, `make test` runs every test. Both install what is missing
# (Debian packages with apt-get, Python packages into .venv) and rebuild only what is stale.

SHELL := /bin/bash
.DEFAULT_GOAL := demo

JOBS ?= $(shell nproc)
PYTHON ?= python3
VENV := .venv
STAMPS := .stamps

# Debian packages the build and the tests need.
APT_PACKAGES := cmake g++ make libgtest-dev libgmock-dev libbenchmark-dev libhwy-dev \
                clang-format clang-tidy python3-venv

.PHONY: demo test build build-sanitize test-cpp test-sanitize test-python python format-check \
        lint deps clean

$(STAMPS):
	@mkdir -p $(STAMPS)

# apt-get runs only when a package is missing.
deps: | $(STAMPS)
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements-dev.txt | deps
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	@touch $@

# The Python module, built by scikit-build-core through the same CMake build (incremental in
# build/python-*), installed into .venv whenever a source changed.
PY_SOURCES := $(shell git ls-files 'src/*' 'include/*' 'python/*' CMakeLists.txt pyproject.toml 2>/dev/null)
$(VENV)/.kcore-installed: $(VENV)/.installed $(PY_SOURCES)
	$(VENV)/bin/pip install -q --no-build-isolation .
	@touch $@

python: $(VENV)/.kcore-installed

build: deps
	@test -f build/release/CMakeCache.txt || cmake --preset release >/dev/null
	cmake --build build/release -j $(JOBS)

build-sanitize: deps
	@test -f build/sanitize/CMakeCache.txt || cmake --preset sanitize >/dev/null
	cmake --build build/sanitize -j $(JOBS)

demo: build
	./build/release/kcore_demo

test-cpp: build
	ctest --test-dir build/release --output-on-failure -j $(JOBS)

test-sanitize: build-sanitize
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build/sanitize --output-on-failure -j $(JOBS)

test-python: python
	cd tests/python && KERAS_BACKEND=jax ../../$(VENV)/bin/python -m pytest -q -p no:cacheprovider .

format-check: deps
	clang-format --dry-run --Werror $$(git ls-files '*.h' '*.cpp')

lint: build
	clang-tidy -p build/release --quiet $$(git ls-files 'src/*.cpp' 'examples/*.cpp')

# The format check runs last, so that a style slip does not hide test results.
test: test-cpp test-sanitize test-python format-check

clean:
	rm -rf build $(STAMPS)

# Benchmarks (not part of `make test`): kcore against NumPy, JAX, PyTorch and MLX, installed from
# PyPI into their own venv (.bench-venv; a peer that does not install is reported as missing).
#   make bench                                   all ops and sizes; rewrites docs/benchmarks.md,
#                                                docs/img/bench_*.png and README's headline
#   make bench OPS=cast SIZES=1000,1000000       one op (name or prefix), some sizes: prints a
#                                                table, writes build/bench/results.{json,md}
#   make bench SECTIONS=control_flow,transforms  only some parts: ops, dispatch (per-call
#                                                overhead), control_flow (while_loop/fori_loop
#                                                per iteration), transforms (vectorized_map, grad)
#   THREADS=1,2  PEERS=numpy,torch  BENCH_ARGS='--repeats 3'  (bench/run.py --help for all)
BENCH_VENV := .bench-venv
OPS ?=
SIZES ?=
THREADS ?=
PEERS ?=
SECTIONS ?=
BENCH_ARGS ?=
BENCH_FLAGS := $(if $(OPS),--ops $(OPS)) $(if $(SIZES),--sizes $(SIZES)) \
               $(if $(THREADS),--threads $(THREADS)) $(if $(PEERS),--peers $(PEERS)) \
               $(if $(SECTIONS),--sections $(SECTIONS)) $(BENCH_ARGS)

.PHONY: bench bench-cpp

$(BENCH_VENV)/.installed: bench/setup_venv.sh | deps
	bash bench/setup_venv.sh $(BENCH_VENV) $(PYTHON)
	@touch $@

$(BENCH_VENV)/.kcore-installed: $(BENCH_VENV)/.installed $(PY_SOURCES)
	CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(BENCH_VENV)/bin/pip install -q --no-build-isolation \
	  -C build-dir=build/bench-python .
	@touch $@

# The C++ microbenchmarks (bench/cpp, Google Benchmark): the "kcore C++" column.
bench-cpp: deps
	@test -f build/bench/CMakeCache.txt || cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release \
	  -DKCORE_BUILD_BENCHMARKS=ON -DKCORE_BUILD_TESTS=OFF -DKCORE_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build build/bench -j $(JOBS) --target kcore_bench

bench: bench-cpp $(BENCH_VENV)/.kcore-installed
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_FLAGS)

# Accuracy of erf, erfinv and rsqrt (not part of `make test`): every float32 input, a float64
# sample and every float16/bfloat16 input, in ulps; rewrites docs/accuracy.md.
#   make accuracy ACCURACY_ARGS='--float32-stride 64'   a quicker run over every 64th float32
ACCURACY_ARGS ?=
.PHONY: accuracy
accuracy: deps
	@test -f build/accuracy/CMakeCache.txt || cmake -S . -B build/accuracy \
	  -DCMAKE_BUILD_TYPE=Release -DKCORE_BUILD_TOOLS=ON -DKCORE_BUILD_TESTS=OFF \
	  -DKCORE_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build build/accuracy -j $(JOBS) --target kcore_accuracy
	./build/accuracy/tools/kcore_accuracy --out docs/accuracy.md $(ACCURACY_ARGS)
