# Enrollment at host scale (issue 3): spython-sign's parts, the ABI rules it
# audits extension modules against, and what spython itself links for
# lock-signatures. `make sign-throughput` times spython-sign against
# `evmctl ima_sign -r` on one tree (never part of `make check`).

# spython-sign: its own parts, and the policy parser for --check --policy
# (with the rooms it needs; CORE links on its own, as the unit tests show).
SIGN_SRC := $(wildcard verify/sign_*.c)
$(BUILD)/spython-sign: $(call obj,$(SIGN_SRC)) $(POLICY_OBJ) $(AUDIT_OBJ)

# The interpreter spython embeds decides the ABI rules: its SOABI tag, and the
# stable ABI as its own headers declare it under Py_LIMITED_API (Linux has no
# libpython3.so export list to read: there that library exports nothing).
PY_EMBED_VERSION := $(shell $(SYSPKGCONFIG) --modversion python3-embed 2>/dev/null)
PY_LIMITED_HEX   := $(shell printf '0x%02x%02x0000' $(subst ., ,$(PY_EMBED_VERSION)) 2>/dev/null)
SPY_SOABI        := cpython-$(subst .,,$(PY_EMBED_VERSION))-$(MULTIARCH)
ENROLL_GEN       := $(BUILD)/gen

$(ENROLL_GEN)/stable_abi.inc: mk/stable-abi.awk mk/enroll.mk
	@mkdir -p $(dir $@)
	for c in '' '#define PY_SSIZE_T_CLEAN'; do \
	    printf '%s\n#include <Python.h>\n' "$$c" | \
	    $(CC) -E -P $(PY_CFLAGS) -DPy_LIMITED_API=$(PY_LIMITED_HEX) \
	        '-DPyAPI_FUNC(t)=__spy_func__ t' '-DPyAPI_DATA(t)=extern __spy_data__ t' -x c -; \
	done | awk -f mk/stable-abi.awk | LC_ALL=C sort -u | sed 's/.*/"&",/' > $@.tmp
	@n=$$(wc -l < $@.tmp); [ "$$n" -gt 500 ] || \
	    { echo "$@: only $$n stable ABI names: are the Python headers installed?" >&2; exit 1; }
	mv $@.tmp $@

$(call obj,verify/sign_abi.c): $(ENROLL_GEN)/stable_abi.inc
$(call obj,verify/sign_abi.c): CFLAGS += -I$(ENROLL_GEN) -DSPY_SOABI='"$(SPY_SOABI)"'

# launch/seccomp.c builds its BPF itself (no libseccomp); its unit test
# installs that very filter. 25-exec-check's helper still uses libseccomp.
$(BUILD)/tests/test_seccomp: $(call obj,launch/seccomp.c)
DEB_DEPS += libseccomp-dev

# The manual page must stay mandoc-clean.
.PHONY: enroll-man-lint sign-throughput
enroll-man-lint:
	mandoc -Tlint -W warning man/spython-sign.1
CHECK_EXTRA += enroll-man-lint

# sign-throughput [TREE=dir] [KEY=pem]: fresh copies of TREE signed by evmctl
# and by spython-sign with the same key; prints both times and the ratio.
SIGN_TREE ?= /usr/lib/python3.11
SIGN_KEY  ?= $(abspath $(BUILD))/t/keys/ec.pem
sign-throughput: $(BUILD)/spython-sign
	BUILD=$(abspath $(BUILD)) mk/sign-throughput.sh "$(SIGN_TREE)" "$(SIGN_KEY)"
