# libFuzzer targets for every parser of untrusted input (tests/fuzz/fuzz_*.c,
# seeds in tests/fuzz/corpus/TARGET/). docs/HARDENING.md has the details.
#   make fuzz [FUZZ_SECONDS=N]  each target N seconds (default 60)
#   make fuzz-smoke             each target FUZZ_SMOKE_SECONDS (5); in make check
#   make fuzz-cov               line coverage of the sources by the corpora
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_DIR           := $(BUILD)/fuzz
FUZZ_TARGETS       := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS          := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
FUZZ_COV_BINS      := $(addprefix $(FUZZ_DIR)/cov/,$(FUZZ_TARGETS))
# Only the Python-free rooms: what each target needs comes out of an archive.
FUZZ_CORE_SRC      := $(VERIFY_SRC) $(POLICY_SRC) $(AUDIT_SRC) \
                      $(filter-out audit/tool/spython-audit.c,$(wildcard audit/tool/*.c))
FUZZ_CFLAGS        := -g -O1 -fno-omit-frame-pointer -std=gnu11 $(WARN) -D_GNU_SOURCE -I. \
                      -DFUZZ_KEYDIR='"$(abspath tests/fuzz/keys)"'
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_COV           := -fprofile-instr-generate -fcoverage-mapping
FUZZ_LIBS           = $(CRYPTO) -ljansson

DEB_DEPS += clang libclang-rt-14-dev llvm libjansson-dev

.PHONY: fuzz fuzz-smoke fuzz-cov fuzz-build
fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/cov/obj/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_COV) -c $< -o $@

$(FUZZ_DIR)/libcore.a: $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_CORE_SRC))
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/cov/libcore.a: $(patsubst %.c,$(FUZZ_DIR)/cov/obj/%.o,$(FUZZ_CORE_SRC))
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/obj/tests/fuzz/noglob.o \
                   $(FUZZ_DIR)/libcore.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer $< $(filter %.o %.a,$^) -o $@ $(FUZZ_LIBS)

$(FUZZ_DIR)/cov/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/cov/obj/tests/fuzz/noglob.o \
                        $(FUZZ_DIR)/cov/libcore.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_COV) -fsanitize=fuzzer $< $(filter %.o %.a,$^) -o $@ $(FUZZ_LIBS)

# Kept between runs, or every target would be linked again each time.
.SECONDARY: $(FUZZ_DIR)/obj/tests/fuzz/noglob.o $(FUZZ_DIR)/cov/obj/tests/fuzz/noglob.o

# fuzz-run SECONDS: every target in turn; all run even when one fails.
define fuzz-run
	@rc=0; for t in $(FUZZ_TARGETS); do \
	    tests/fuzz/run.sh $(FUZZ_DIR)/$$t tests/fuzz/corpus/$$t $(FUZZ_DIR)/run/$$t $(1) || rc=1; \
	done; exit $$rc
endef

fuzz: $(FUZZ_BINS)
	$(call fuzz-run,$(FUZZ_SECONDS))

fuzz-smoke: $(FUZZ_BINS)
	$(call fuzz-run,$(FUZZ_SMOKE_SECONDS))

# Replays the seeds plus whatever earlier fuzz runs kept, without mutation.
fuzz-cov: $(FUZZ_COV_BINS)
	@rm -rf $(FUZZ_DIR)/cov/prof && mkdir -p $(FUZZ_DIR)/cov/prof
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/run/$$t/corpus; \
	    LLVM_PROFILE_FILE=$(FUZZ_DIR)/cov/prof/$$t.profraw $(FUZZ_DIR)/cov/$$t -runs=0 \
	        $(FUZZ_DIR)/run/$$t/corpus tests/fuzz/corpus/$$t >/dev/null 2>&1 || exit 1; \
	done
	llvm-profdata merge -sparse $(FUZZ_DIR)/cov/prof/*.profraw -o $(FUZZ_DIR)/cov/all.profdata
	llvm-cov report -instr-profile=$(FUZZ_DIR)/cov/all.profdata \
	    $(firstword $(FUZZ_COV_BINS)) $(addprefix -object=,$(wordlist 2,99,$(FUZZ_COV_BINS))) \
	    verify/sig.c verify/verify.c verify/keyring.c verify/sha256.c policy/policy.c policy/rules.c \
	    audit/json.c $(wildcard audit/tool/*.c)

CHECK_EXTRA += fuzz-smoke
