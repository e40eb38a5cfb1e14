# Thin wrapper around CMake. Every target that needs a Debian package calls
# scripts/deps.sh first, so a fresh Debian 12 machine needs only `make test`.
BUILD   ?= build
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure -j$(JOBS)
PREFIX  ?= /usr/local

.PHONY: all deps configure build test asan tsan install format run bench \
        bench-quick fuzz clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest $(CTEST_FLAGS)

# ASan + UBSan build of the whole suite (slow loops shrunk by WKT_QUICK).
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
	  -DWALKIT_SANITIZE=address,undefined -DWALKIT_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-asan -j$(JOBS)
	cd build-asan && WKT_QUICK=1 ctest $(CTEST_FLAGS)

tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DWALKIT_SANITIZE=thread -DWALKIT_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && WKT_QUICK=1 ctest $(CTEST_FLAGS) -L 'unit|tsan' -E 'exported_symbols|syscall|install'

install: build
	cmake --install $(BUILD)

format:
	@scripts/deps.sh format
	find include src tools bench fuzz tests -name '*.[ch]' | xargs clang-format -i

run: build
	$(BUILD)/tools/walkit/walkit demo $(or $(DIR),./walkit-demo)

bench: deps
	@scripts/deps.sh bench
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)
	bench/run.sh $(BUILD) full

bench-quick: deps
	@scripts/deps.sh bench
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)
	bench/run.sh $(BUILD) quick

fuzz: deps
	@scripts/deps.sh fuzz
	CC=clang cmake -S . -B build-fuzz -DWALKIT_FUZZ=ON -DWALKIT_TESTS=OFF \
	  -DWALKIT_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-fuzz -j$(JOBS)
	fuzz/run.sh build-fuzz $(or $(FUZZ_SECONDS),30)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
