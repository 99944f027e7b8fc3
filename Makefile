# Coffre — build, run, test. `make run` starts the server; `make test` runs every test.
# Missing system packages (Debian/Ubuntu) are installed by `make deps`, which the other
# targets call first; `make test` also installs the WebDAV clients its tests drive (`test-deps`).

SWIFT      ?= swift
DATA       ?= ./data
LISTEN     ?= 127.0.0.1:8080
APT_PACKAGES := libsqlite3-dev libssl-dev pkg-config
TEST_APT_PACKAGES := litmus rclone eatmydata
SUDO       := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps test-deps build release run test bench bench-crypto bench-http bench-sync bench-sync-client bench-dav clean

all: build

# Installs the Debian packages of $(1) that are missing (target name $(2) in the messages).
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make $(2): installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES),deps)

# The real WebDAV clients the end-to-end tests drive (litmus, rclone), and eatmydata; only
# `make test` needs them.
test-deps:
	$(call apt_install,$(TEST_APT_PACKAGES),test-deps)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Builds and starts coffred on its embedded default: SQLite + blobs under $(DATA), loopback only.
run: release
	.build/release/coffred serve --data $(DATA) --listen $(LISTEN)

# Every test: unit tests of each library and end-to-end tests on the real binaries.
# The tests run under eatmydata (fsync, fdatasync, syncfs become no-ops), the test-time
# counterpart of `--kdf-cost test`: hundreds of tests open databases and write blobs at once,
# and with real flushes no test finished in the first 27-38 s of a fresh-clone CI run, the
# two threads of the test process's task pool waiting in fdatasync, long enough to time out
# healthy exchanges. No test depends on a flush reaching the disk:
# the crash tests kill processes (SIGKILL leaves the page cache intact) and failed syncs are
# injected through fault points. Benchmarks never run under it.
test: deps test-deps
	$(SWIFT) build
	eatmydata $(SWIFT) test

# Every benchmark (release builds). Each bench-* target builds and runs one.
bench: bench-crypto bench-http bench-sync bench-sync-client bench-dav

# Client encryption pipeline and its primitives, in MB/s (docs/performance.md). CRYPTO_BENCH_MIB
# sets the input size (default 1024).
bench-crypto: deps
	$(SWIFT) build -c release --product crypto-bench
	.build/release/crypto-bench

# Coffre's HTTP server next to nginx on loopback, one run (docs/performance.md, "HTTP server"):
# wrk 4 KiB GETs, 256 MiB PUT/GET, idle connections. Installs wrk and nginx when missing. Knobs:
# RUNS (3), WRK_DURATION (10 s), BIG_MIB (256), IDLE_CONNECTIONS (10000).
bench-http: deps
	$(SWIFT) build -c release --product http-bench-server
	Benchmarks/http-bench.sh

# The sync API over HTTP against a release coffred, with nginx next to it for blob PUT/GET
# (docs/performance.md, "Sync API"). SYNC_BENCH_ENTRIES (default 1000000) sizes the vault
# whose commits and feed are timed; SYNC_BENCH_RUNS (3) and WRK_DURATION (8) the side-by-side runs;
# SYNC_BENCH_IDLE_POLLS (1000) the idle long-polls.
bench-sync: deps
	$(SWIFT) build -c release --product coffred
	$(SWIFT) build -c release --product sync-bench
	Benchmarks/sync-bench.sh

# coffre sync --once between two devices through a release coffred, on the scenarios of the
# Syncthing anchor (docs/sync-client.md, "Performance"). Knobs: SMALL_FILES (10000), BIG_MIB
# (1024), NOOP_FILES (100000), SYNC_CLIENT_BENCH_SKIP ("small big delta noop").
bench-sync-client: deps
	$(call apt_install,syncthing,bench-sync-client)
	$(SWIFT) build -c release --product coffred
	$(SWIFT) build -c release --product coffre
	$(SWIFT) build -c release --product coffre-admin
	Benchmarks/sync-client-bench.sh

# `coffre dav` next to rclone serve webdav over rclone crypt over the nginx WebDAV peer, and the
# nginx peer's plain PROPFIND, in one run (docs/performance.md, "WebDAV gateway"), with a verdict
# per target of issue 7. Installs nginx-extras, rclone and wrk when missing. Knobs: RUNS (1),
# DAV_BENCH_SKIP ("coffre anchor nginx"), and webdav-bench.sh's (BIG_MIB, SMALL_N, WRK_DUR, ...).
bench-dav: deps
	$(call apt_install,nginx-extras rclone wrk,bench-dav)
	$(SWIFT) build -c release --product coffred
	$(SWIFT) build -c release --product coffre
	$(SWIFT) build -c release --product coffre-admin
	Benchmarks/dav-bench.sh

clean:
	rm -rf .build

# Fuzzes the HTTP request parser with libFuzzer for FUZZ_SECONDS (the parser's stdlib-only
# sources are compiled directly with the entry point in Fuzz/). Findings land in Fuzz/artifacts/.
FUZZ_SECONDS ?= 60
SWIFTC       ?= swiftc
FUZZ_BIN     := .build/fuzz/http-request-parser
FUZZ_SOURCES := $(wildcard Sources/HTTPServer/Parser/*.swift) Sources/HTTPServer/Helpers/HTTPDate.swift \
                Sources/HTTPServer/Client/HTTPClientError.swift

.PHONY: fuzz
fuzz:
	mkdir -p .build/fuzz Fuzz/corpus-run Fuzz/artifacts
	$(SWIFTC) -O -g -sanitize=fuzzer,address -parse-as-library $(FUZZ_SOURCES) \
	  Fuzz/HTTPRequestParserFuzz.swift -o $(FUZZ_BIN)
	SWIFT_BACKTRACE=enable=no $(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
	  -print_final_stats=1 -artifact_prefix=Fuzz/artifacts/ Fuzz/corpus-run Fuzz/corpus

# Fuzzes the HTTP client's response parser the same way (Fuzz/HTTPResponseParserFuzz.swift,
# seeds in Fuzz/corpus-client/). Findings land in Fuzz/artifacts/.
FUZZ_CLIENT_BIN := .build/fuzz/http-response-parser

.PHONY: fuzz-client
fuzz-client:
	mkdir -p .build/fuzz/corpus-client-run Fuzz/artifacts
	$(SWIFTC) -O -g -sanitize=fuzzer,address -parse-as-library $(FUZZ_SOURCES) \
	  Fuzz/HTTPResponseParserFuzz.swift -o $(FUZZ_CLIENT_BIN)
	SWIFT_BACKTRACE=enable=no $(FUZZ_CLIENT_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
	  -print_final_stats=1 -artifact_prefix=Fuzz/artifacts/ .build/fuzz/corpus-client-run Fuzz/corpus-client
