# spython: a hardened Python entry point. `make`, `make demo`, `make check`.
#
# POLICY is compiled into the binary; nothing at run time can change it.

POLICY   ?= /etc/spython/policy.conf
VERSION  := 0.1.0
BUILD    ?= build

CC       ?= cc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
# The system libpython, never a pyenv one that may sit first on PATH.
SYSPKGCONFIG := env -u PKG_CONFIG_PATH PKG_CONFIG_LIBDIR=/usr/lib/$(MULTIARCH)/pkgconfig:/usr/share/pkgconfig /usr/bin/pkg-config
PY_CFLAGS := $(shell $(SYSPKGCONFIG) --cflags python3-embed 2>/dev/null)
# libpython is linked statically, from Debian's position-independent archive,
# as Debian links its own /usr/bin/python3.11 (from the non-PIC one): calls
# into the interpreter skip the PLT and start-up skips ~10k symbol relocations
# (issue 6: 1.14x start-up, 1.19x imports with the shared library). The binary
# stays PIE. -export-dynamic gives extension modules the C API, as python3's
# binary does. The price: spython must be rebuilt when libpython3.11 gets a
# security fix (packaging/debian/rules records it as Built-Using).
# PY_STATIC=0 links the shared library instead. PIE=0 links the non-PIC
# archive into a position-dependent binary, exactly as python3.11 is built:
# ~8% less start-up time and ~0.8 MB less memory (no relocated pointers in
# the interpreter's static data), but the binary's own addresses are fixed
# (make bench measures both).
PIE       ?= 1
PY_LIBPL  := $(shell /usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_config_var("LIBPL"))' 2>/dev/null)
PY_VER    := $(shell $(SYSPKGCONFIG) --modversion python3-embed 2>/dev/null)
PY_PIC_A  := $(wildcard $(PY_LIBPL)/libpython$(PY_VER)-pic.a)
PY_NOPIC_A := $(wildcard $(PY_LIBPL)/libpython$(PY_VER).a)
PY_STATIC ?= $(if $(PY_PIC_A),1,0)
PY_STATIC_DEPS := -lexpat -lz -lm -ldl -lpthread -lutil
ifeq ($(PY_STATIC),1)
PY_LIBS   := -Wl,--export-dynamic $(if $(filter 0,$(PIE)),$(PY_NOPIC_A),$(PY_PIC_A)) $(PY_STATIC_DEPS)
else
PY_LIBS   := $(shell $(SYSPKGCONFIG) --libs python3-embed 2>/dev/null)
endif

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) $(HARDEN) -D_GNU_SOURCE -I. -DSPYTHON_VERSION='"$(VERSION)"'
LDFLAGS  += $(if $(filter 0,$(PIE)),-no-pie,-pie) -Wl,-z,relro,-z,now
# A PIE carries one relocation per pointer in libpython's static data (~40k,
# 0.9 MB that ld.so reads at every start and that stays resident); packed
# (DT_RELR: binutils 2.38, glibc 2.36) they take ~20 KB.
LD_RELR  := $(shell printf 'int main(void){return 0;}' | $(CC) -x c - -o /dev/null -pie -Wl,--fatal-warnings,-z,pack-relative-relocs 2>/dev/null && echo -Wl,-z,pack-relative-relocs)
LDFLAGS  += $(if $(filter 0,$(PIE)),,$(LD_RELR))
CRYPTO   := -lcrypto

# Rooms. verify/ and policy/ never see Python headers.
# spython-sign's own parts (verify/sign_*.c) link into spython-sign only (mk/enroll.mk).
VERIFY_SRC := $(filter-out verify/spython-sign.c verify/sign_%.c verify/lazy.c verify/backend.c,$(wildcard verify/*.c))
POLICY_SRC := $(filter-out policy/spython-policy.c,$(wildcard policy/*.c))
AUDIT_SRC  := audit/json.c audit/log.c audit/line.c audit/chain.c $(wildcard audit/sink*.c)
PYGLUE_SRC := $(filter-out $(AUDIT_SRC),$(wildcard audit/*.c)) $(wildcard launch/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
VERIFY_OBJ := $(call obj,$(VERIFY_SRC))
POLICY_OBJ := $(call obj,$(POLICY_SRC))
AUDIT_OBJ  := $(call obj,$(AUDIT_SRC))
PYGLUE_OBJ := $(call obj,$(PYGLUE_SRC))
CORE_OBJ   := $(VERIFY_OBJ) $(POLICY_OBJ) $(AUDIT_OBJ)

# The interpreter does not link OpenSSL for signatures: its keyring and
# verify_buffer() are verify/lazy.c, which loads the crypto back end
# (verify/backend.h: keyring.c and verify.c as spython-crypto.so, carried
# inside the binary) on the first signature it must check.
BACKEND_SRC := verify/backend.c verify/keyring.c verify/verify.c verify/mdfetch.c verify/sig.c \
               verify/keyfiles.c verify/readfd.c verify/verdict.c
BACKEND_PIC := $(patsubst %.c,$(BUILD)/pic/%.o,$(BACKEND_SRC))
INTERP_OBJ  := $(PYGLUE_OBJ) $(filter-out $(call obj,verify/keyring.c verify/verify.c verify/mdfetch.c),$(CORE_OBJ)) \
               $(call obj,verify/lazy.c) $(BUILD)/obj/crypto-blob.o

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

# The binary the integration tests run: same code, policy path inside the build tree.
TEST_POLICY := $(abspath $(BUILD))/t/policy.conf

.PHONY: all deps demo check unit integration clean
all: $(BUILD)/spython $(BUILD)/spython-sign

$(BUILD)/obj/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(PYGLUE_OBJ): CFLAGS += $(PY_CFLAGS)

$(BUILD)/pic/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fPIE,$(CFLAGS)) -fPIC -c $< -o $@

$(BUILD)/spython-crypto.so: $(BACKEND_PIC) verify/backend.map
	$(CC) $(filter-out -pie,$(LDFLAGS)) -shared -Wl,--version-script=verify/backend.map \
	    -Wl,--gc-sections $(BACKEND_PIC) -o $@ $(CRYPTO)

$(BUILD)/obj/crypto-blob.o: $(BUILD)/spython-crypto.so
	@mkdir -p $(dir $@)
	printf '\t.section .rodata.spycrypto,"a"\n\t.balign 64\n\t.globl spy_crypto_so\n\t.hidden spy_crypto_so\nspy_crypto_so:\n\t.incbin "%s"\n\t.globl spy_crypto_so_end\n\t.hidden spy_crypto_so_end\nspy_crypto_so_end:\n\t.section .note.GNU-stack,"",@progbits\n' \
	    "$(abspath $<)" > $(BUILD)/obj/crypto-blob.S
	$(CC) -c $(BUILD)/obj/crypto-blob.S -o $@

$(BUILD)/obj/spython-%.o: spython.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PY_CFLAGS) -DSPYTHON_POLICY='"$(POLICY_FOR_$*)"' -c $< -o $@

POLICY_FOR_main := $(POLICY)
POLICY_FOR_test := $(TEST_POLICY)
POLICY_FOR_demo := $(abspath $(BUILD))/demo/policy.conf

$(BUILD)/spython: $(BUILD)/obj/spython-main.o $(INTERP_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(PY_LIBS)

$(BUILD)/test-spython: $(BUILD)/obj/spython-test.o $(INTERP_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(PY_LIBS)

$(BUILD)/demo-spython: $(BUILD)/obj/spython-demo.o $(INTERP_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(PY_LIBS)

$(BUILD)/spython-sign: $(call obj,verify/spython-sign.c) $(VERIFY_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@ $(CRYPTO)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ -lcmocka $(CRYPTO)

# Install what the build and the tests need (Debian 12), only what is missing.
DEB_DEPS := build-essential pkg-config libpython3-dev python3 libssl-dev libcmocka-dev \
            attr ima-evm-utils openssl mandoc
deps:
	@missing=$$(for p in $(DEB_DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "spython: missing packages:$$missing (run 'make deps' as root)" >&2; exit 1; fi; \
	echo "installing:$$missing"; \
	(apt-get install -y -q $$missing >/dev/null 2>&1) || \
	  (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing)

unit: $(UNIT_BIN)
	@rc=0; for t in $(UNIT_BIN); do $$t || rc=1; done; exit $$rc

integration: $(BUILD)/test-spython $(BUILD)/spython-sign
	BUILD=$(abspath $(BUILD)) tests/setup.sh
	BUILD=$(abspath $(BUILD)) TEST_POLICY=$(TEST_POLICY) tests/run-integration.sh

check: deps
	$(MAKE) all $(BUILD)/test-spython $(UNIT_BIN)
	$(MAKE) unit
	$(MAKE) integration
	$(if $(strip $(CHECK_EXTRA)),$(MAKE) $(CHECK_EXTRA))

demo: deps
	$(MAKE) all $(BUILD)/demo-spython
	BUILD=$(abspath $(BUILD)) demo/demo.sh

clean:
	rm -rf $(BUILD)

# Further suites and tools add themselves here (CHECK_EXTRA += target, DEB_DEPS += pkg).
include $(sort $(wildcard mk/*.mk))
