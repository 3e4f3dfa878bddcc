# The policy engine (issue 4): build/spython-policy, its unit tests' extra
# objects, the manual pages' lint, and `make bench-policy` (speed is never
# asserted in make check).

DEB_DEPS += libjansson-dev zlib1g-dev
# launch/payload.c inflates .pyc members of verified zip archives.
PY_LIBS += -lz

all: $(BUILD)/spython-policy

$(BUILD)/spython-policy: $(call obj,policy/spython-policy.c) $(CORE_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(CRYPTO) -ljansson

# launch/payload.c has no Python in it: its unit test links it directly.
$(BUILD)/tests/test_payload: $(call obj,launch/payload.c)
$(BUILD)/tests/test_payload: CRYPTO += -lz

# tests/integration/34-policy-man.sh checks that the pages say what the code
# does; this keeps them mandoc-clean for `make check`.
CHECK_EXTRA += policy-man
.PHONY: policy-man
policy-man:
	mandoc -Tlint -W warning man/spython-policy.5 man/spython-policy.1

# Two benchmark binaries, each with its policy compiled in (no rules; 100
# rules), written by bench/policy-rules.sh under $(BUILD)/polbench.
POLICY_FOR_polbench-none  := $(abspath $(BUILD))/polbench/none/policy.conf
POLICY_FOR_polbench-rules := $(abspath $(BUILD))/polbench/rules/policy.conf
.SECONDARY: $(BUILD)/obj/spython-polbench-none.o $(BUILD)/obj/spython-polbench-rules.o

$(BUILD)/polbench/spython-%: $(BUILD)/obj/spython-polbench-%.o $(INTERP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(PY_LIBS)

.PHONY: bench-policy
bench-policy: $(BUILD)/polbench/spython-none $(BUILD)/polbench/spython-rules \
              $(BUILD)/spython-sign $(BUILD)/spython-policy
	BUILD=$(abspath $(BUILD)) tests/setup.sh
	BUILD=$(abspath $(BUILD)) bench/policy-rules.sh
