#!/usr/bin/env bash
# The caller's environment must not reach libcrypto's configuration: an
# OPENSSL_CONF naming a provider module would load native code that no
# signature covers, in spython itself and in Python's ssl and hashlib.
source "$(dirname "$0")/../lib.sh"
write_policy

cat > "$T/evil.c" <<EOF
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void loaded(void)
{
    int fd = open("$T/evil-loaded", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0)
        close(fd);
}
int OSSL_provider_init(const void *h, const void *in, const void **out, void **ctx) { return 0; }
EOF
cc -shared -fPIC -o "$T/evil.so" "$T/evil.c" || fail "build the test provider" "cc failed"
cat > "$T/evil.cnf" <<EOF
openssl_conf = init
[init]
providers = providers
[providers]
evil = evil
default = default
[default]
activate = 1
[evil]
module = $T/evil.so
activate = 1
EOF
# The probe itself: the provider does load where the environment is obeyed.
OPENSSL_CONF=$T/evil.cnf openssl version > /dev/null 2>&1
check "the test provider loads when OPENSSL_CONF is obeyed" test -e "$T/evil-loaded"
rm -f "$T/evil-loaded"

script tls.py 'import hashlib, ssl
ssl.create_default_context()
print("crypto ran", hashlib.sha256(b"").hexdigest()[:8])'
sign "$T/tls.py"
OPENSSL_CONF=$T/evil.cnf run_spy "$T/tls.py"
check "spython runs with OPENSSL_CONF set" bash -c "[ $RC -eq 0 ] && grep -q 'crypto ran e3b0c442' '$OUT'"
check "OPENSSL_CONF loads no module into spython, ssl or hashlib" test ! -e "$T/evil-loaded"

finish
