# Memory checking, docs/HARDENING.md:
#   make sanitize        an ASan+UBSan build of everything in $(SAN_BUILD), the
#                        unit tests and the integration suite run on it; any
#                        sanitizer report fails, even from a process whose exit
#                        status no test looks at
#   make sanitize-check  the same with the scenarios of SAN_CHECK_SUITES, the
#                        ones that drive the interpreter (in make check)
#   make valgrind-smoke  tests/valgrind/smoke.sh under memcheck (in make check)
#   make valgrind        the VALGRIND_SUITES scenarios under memcheck (long)
SAN_BUILD  ?= $(BUILD)/asan
SAN_CC     ?= clang
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_LOGS   := $(abspath $(SAN_BUILD))/san-logs
# CFLAGS/LDFLAGS through the environment: the Makefile appends its own flags.
# The scenarios get them too, for those that run make on the build directory.
SAN_BUILD_ENV := env CFLAGS="-O1 -g -fno-omit-frame-pointer $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" CC=$(SAN_CC)
SAN_MAKE   := $(SAN_BUILD_ENV) $(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CC=$(SAN_CC)
# Reports go to files (the tests read stderr); malloc_context_size=2 keeps
# tests/lsan.supp to blocks libpython allocated itself.
SAN_ENV    := ASAN_OPTIONS=log_path=$(SAN_LOGS)/asan:detect_leaks=1:malloc_context_size=2:detect_stack_use_after_return=1 \
              LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
              UBSAN_OPTIONS=log_path=$(SAN_LOGS)/ubsan:print_stacktrace=1:halt_on_error=1

# Scenarios that only build distribution packages (with the distribution's
# own flags) exercise nothing of spython under the sanitizers.
SAN_SKIP   ?= 71-package
SAN_SUITES ?= all
SAN_CHECK_SUITES ?= 10-launch 11-verify 12-log 30-policy-rules 40-forensics-transcripts \
                    50-faults 51-attacks 52-concurrency
SAN_SCRIPTS = $(if $(filter all,$(SAN_SUITES)),$(wildcard tests/integration/*.sh),\
              $(patsubst %,tests/integration/%.sh,$(SAN_SUITES)))

DEB_DEPS += clang

.PHONY: sanitize sanitize-check
sanitize-check:
	$(MAKE) --no-print-directory sanitize SAN_SUITES="$(SAN_CHECK_SUITES)" RACE_RUNS=30

sanitize:
	@rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	$(SAN_MAKE) -s all $(SAN_BUILD)/test-spython $(patsubst $(BUILD)/%,$(SAN_BUILD)/%,$(UNIT_BIN))
	BUILD=$(abspath $(SAN_BUILD)) tests/setup.sh
	@rc=0; $(SAN_ENV) $(SAN_MAKE) unit || rc=1; \
	for t in $(SAN_SCRIPTS); do \
	    case " $(SAN_SKIP) " in *" $$(basename $$t .sh) "*) echo "== $$t: skipped"; continue;; esac; \
	    out=$$($(SAN_BUILD_ENV) $(SAN_ENV) BUILD=$(abspath $(SAN_BUILD)) TEST_POLICY=$(abspath $(SAN_BUILD))/t/policy.conf \
	        bash $$t 2>&1) || rc=1; \
	    echo "== $$t (ASan+UBSan): $$(printf '%s\n' "$$out" | grep -c '^ok ') passed"; \
	    printf '%s\n' "$$out" | grep -v '^ok '; \
	done; \
	tests/sanitize-report.sh $(SAN_LOGS) || rc=1; exit $$rc

# spython runs under valgrind through SPY_WRAP (tests/lib.sh). Not 10-launch:
# valgrind 3.19 does not know AT_EXECVE_CHECK and performs the execveat, so
# its #!spython case really executes the script it should only check.
VG_LOGS         := $(abspath $(BUILD))/vg-logs
VALGRIND_SUITES ?= 11-verify 12-log 51-attacks
VG_ENV          := BUILD=$(abspath $(BUILD)) TEST_POLICY=$(TEST_POLICY) RACE_RUNS=5 \
                   SPY_WRAP=$(abspath tests/valgrind/spy) VG_LOGS=$(VG_LOGS)

DEB_DEPS += valgrind

.PHONY: valgrind valgrind-smoke
valgrind-smoke: $(BUILD)/test-spython $(BUILD)/spython-sign
	BUILD=$(abspath $(BUILD)) tests/setup.sh
	@rm -rf $(VG_LOGS) && mkdir -p $(VG_LOGS)
	@rc=0; $(VG_ENV) bash tests/valgrind/smoke.sh || rc=1; \
	tests/valgrind/report.sh $(VG_LOGS) || rc=1; exit $$rc

valgrind: $(BUILD)/test-spython $(BUILD)/spython-sign
	BUILD=$(abspath $(BUILD)) tests/setup.sh
	@rm -rf $(VG_LOGS) && mkdir -p $(VG_LOGS)
	@rc=0; for s in $(VALGRIND_SUITES); do \
	    echo "== $$s (valgrind)"; $(VG_ENV) bash tests/integration/$$s.sh || rc=1; \
	done; tests/valgrind/report.sh $(VG_LOGS) || rc=1; exit $$rc

CHECK_EXTRA += sanitize-check valgrind-smoke
