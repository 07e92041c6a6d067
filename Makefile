# The two commands a newcomer runs: `make demo` and `make test`. Both install what is missing.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

FUZZ_SECONDS ?= 60

.PHONY: all deps build build-asan test unit-test asan-test integration-test demo bench bench-scale fuzz install deb format clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

# The sanitizer build is also the fuzzing build: clang, ASan+UBSan, libFuzzer harnesses.
$(ASAN_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DFERRY_SANITIZE=ON -DFERRY_FUZZ=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

# (A tree configured earlier with another compiler is configured afresh.)
build-asan: deps
	@grep -qs 'CMAKE_CXX_COMPILER:.*clang' $(ASAN_BUILD)/CMakeCache.txt || rm -rf $(ASAN_BUILD)
	$(MAKE) $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) -j $(JOBS)

# Unit tests (also under ASan+UBSan, with each fuzz harness run on its corpus and briefly
# fuzzed), then integration tests against real processes.
test: build build-asan
	cd $(BUILD) && ctest --output-on-failure -j 2 -L unit
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 2 -L unit
	cd $(BUILD) && ctest --output-on-failure -L integration

# Each fuzz harness for FUZZ_SECONDS (default 60) under ASan+UBSan.
fuzz: build-asan
	./scripts/fuzz.sh $(ASAN_BUILD) $(FUZZ_SECONDS)

demo: build
	./scripts/demo.sh $(BUILD)/ferry

bench: build
	./bench/run.sh $(BUILD)/ferry

# ferry sync of a million files: time and peak RSS, and a mount of them from their listing
# index (longer; not part of `make bench`).
bench-scale: build
	/usr/bin/python3 bench/sync_bench.py $(BUILD)/ferry --scale 1000000
	/usr/bin/python3 bench/index_bench.py $(BUILD)/ferry --objects 1000000

# The binary, its helpers, libferry.a with its headers, and man pages under PREFIX
# (DESTDIR honoured), laid out as `ferry train` expects.
PREFIX ?= /usr/local
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# A Debian package of the same (CPack): $(BUILD)/ferry_VERSION_ARCH.deb.
deb: build
	cd $(BUILD) && cpack -G DEB

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
