# Forensic review (issue 5): the log's sinks, and spython-audit, the reader
# for incident responders.
#   build/spython-audit    summary | transcripts | show | filter | verify | report
#   (the reader is fuzzed by tests/fuzz/fuzz_audit.c, mk/fuzz.mk)
#   make audit-scale       the memory checks of 40-forensics-tool at 100k / 2M lines
# The sinks (audit/sink*.c) are in the interpreter and speak journald's and
# the kernel's protocols themselves: no library of theirs slows every start.

AUDIT_TOOL_SRC := $(wildcard audit/tool/*.c)
AUDIT_TOOL_OBJ := $(call obj,$(AUDIT_TOOL_SRC)) $(call obj,audit/chain.c audit/json.c verify/sha256.c)

DEB_DEPS += libjansson-dev rsyslog logrotate chromium time

all: $(BUILD)/spython-audit
integration: $(BUILD)/spython-audit

$(BUILD)/spython-audit: $(AUDIT_TOOL_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ -ljansson -lcrypto

.PHONY: audit-scale
audit-scale: all $(BUILD)/test-spython
	BUILD=$(abspath $(BUILD)) tests/setup.sh
	AUDIT_SCALE_SMALL=100000 AUDIT_SCALE_BIG=2000000 BUILD=$(abspath $(BUILD)) \
	    TEST_POLICY=$(TEST_POLICY) bash tests/integration/40-forensics-tool.sh
