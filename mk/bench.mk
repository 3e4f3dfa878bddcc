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
#   spython-rules  spython-list's policy plus 100 rules (benchmark 5)
# and the *-static ones link Debian's libpython3.11.a, as /usr/bin/python3.11
# itself does, instead of libpython3.11.so (same policy as their namesake).

BENCH_DIR      := $(abspath $(BUILD))/bench
BENCH_VARIANTS := ec rsa list rules
BENCH_STATIC   := ec list
BENCH_BIN      := $(patsubst %,$(BUILD)/bench/spython-%,$(BENCH_VARIANTS) $(BENCH_STATIC:=-static))
$(foreach v,$(BENCH_VARIANTS),$(eval POLICY_FOR_bench-$(v) := $(BENCH_DIR)/$(v)/policy.conf))
.SECONDARY: $(patsubst %,$(BUILD)/obj/spython-bench-%.o,$(BENCH_VARIANTS))

# The static archive is non-PIC, as in Debian's own python3.11 binary, so the
# binary cannot be PIE; -export-dynamic lets extension modules find the C API.
# (= not :=: other fragments add to PY_LIBS after this one.)
PY_STATIC_A    := $(shell /usr/bin/python3 -c 'import sysconfig as s; print(s.get_config_var("LIBPL") + "/" + s.get_config_var("LIBRARY"))' 2>/dev/null)
PY_STATIC_LIBS  = $(PY_STATIC_A) $(filter-out -lpython%,$(PY_LIBS)) -lexpat -lz -lm -ldl -lpthread -lutil
STATIC_LDFLAGS := -no-pie -Wl,-z,relro,-z,now -Wl,-export-dynamic

DEB_DEPS += time               # GNU time: peak RSS (evmctl and attr are core deps)

.PHONY: bench bench-bin
bench-bin: all $(BENCH_BIN) $(BUILD)/bench/hookbench

$(BUILD)/bench/spython-%-static: $(BUILD)/obj/spython-bench-%.o $(INTERP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(STATIC_LDFLAGS) $^ -o $@ $(PY_STATIC_LIBS) $(CRYPTO)

$(BUILD)/bench/spython-%: $(BUILD)/obj/spython-bench-%.o $(INTERP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(PY_LIBS) $(CRYPTO)

$(BUILD)/bench/hookbench: bench/hookbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PY_CFLAGS) $(LDFLAGS) $< -o $@ $(PY_LIBS)

bench: deps
	$(MAKE) bench-bin
	BUILD=$(abspath $(BUILD)) BENCH_ROUNDS=$(or $(BENCH_ROUNDS),1) bench/run.sh

# Correctness of the digest lists joins `make check` (tests/integration/60-*.sh
# runs with the other scenarios; its unit test is tests/unit/test_digestlist.c).
