# make bench: spython side by side with python3 and evmctl (issue 6).
# Never part of `make check`: speed is measured here, as ratios in one run
# (bench/run.sh -> bench/results.md). `make bench BENCH_ROUNDS=0.2` is a
# quick pass with fewer rounds.
#
# Each benchmark binary has its own policy compiled in, so that runs of
# different configurations interleave round by round:
#   spython-ec     per-file ECDSA-P256 signatures (security.ima)
#   spython-rsa    per-file RSA-2048 signatures (user.ima)
#   spython-list   one digest list signed with ECDSA-P256, per-file as fallback
#   spython-pin    the same list, pinned by the policy (no signature checked
#                  at start-up, libcrypto never loaded when all is listed)
#   spython-rules  spython-pin's policy plus 100 rules (benchmarks 3 and 5 use
#                  the pinned list, the configuration to deploy)
# spython-pin-shared links the shared libpython3.11.so instead of the static
# PIC archive, and spython-pin-nopie the non-PIC archive into a
# position-dependent binary, as Debian builds python3.11 (make PIE=0); both
# with spython-pin's policy.

BENCH_DIR      := $(abspath $(BUILD))/bench
BENCH_VARIANTS := ec rsa list pin rules
BENCH_LINKS    := pin-shared pin-nopie
BENCH_BIN      := $(patsubst %,$(BUILD)/bench/spython-%,$(BENCH_VARIANTS) $(BENCH_LINKS))
$(foreach v,$(BENCH_VARIANTS),$(eval POLICY_FOR_bench-$(v) := $(BENCH_DIR)/$(v)/policy.conf))
.SECONDARY: $(patsubst %,$(BUILD)/obj/spython-bench-%.o,$(BENCH_VARIANTS))

PY_SHARED_LIBS  = $(shell $(SYSPKGCONFIG) --libs python3-embed 2>/dev/null) $(filter -l%,$(filter-out -lpython%,$(PY_LIBS)))

DEB_DEPS += time               # GNU time: peak RSS (evmctl and attr are core deps)

.PHONY: bench bench-bin
bench-bin: all $(BENCH_BIN) $(BUILD)/bench/hookbench

$(BUILD)/bench/spython-%-shared: $(BUILD)/obj/spython-bench-%.o $(INTERP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(PY_SHARED_LIBS)

$(BUILD)/bench/spython-%-nopie: $(BUILD)/obj/spython-bench-%.o $(INTERP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -pie,$(LDFLAGS)) -no-pie $^ -o $@ -Wl,--export-dynamic $(PY_NOPIC_A) $(PY_STATIC_DEPS)

$(BUILD)/bench/spython-%: $(BUILD)/obj/spython-bench-%.o $(INTERP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(PY_LIBS)

$(BUILD)/bench/hookbench: bench/hookbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PY_CFLAGS) $(LDFLAGS) $< -o $@ $(PY_LIBS)

bench: deps
	$(MAKE) bench-bin
	BUILD=$(abspath $(BUILD)) BENCH_ROUNDS=$(or $(BENCH_ROUNDS),1) bench/run.sh

# Correctness of the digest lists joins `make check` (tests/integration/60-*.sh
# runs with the other scenarios; its unit test is tests/unit/test_digestlist.c).

# verify/sha256.c against OpenSSL on log lines and file buffers (not in make bench).
.PHONY: bench-sha
bench-sha: $(BUILD)/bench/sha256bench
	$(BUILD)/bench/sha256bench

$(BUILD)/bench/sha256bench: bench/sha256bench.c $(call obj,verify/sha256.c)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ -lcrypto
