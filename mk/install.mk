# make install / make uninstall (issue 8).
#   make install [DESTDIR=/stage] [PREFIX=/usr] [SYSCONFDIR=/etc] [LOCALSTATEDIR=/var]
#
# Installs the tools that `make all` built (spython always; spython-sign,
# spython-audit and spython-policy when this tree builds them), spython-switch,
# the man pages, the host policy as a configuration file (packaging/policy.conf:
# keys, log, search path, then the includes), the strict rules it includes
# (policy/default.conf: package data, replaced on upgrade, not configuration),
# empty keyring and drop-in directories, and the log directory. The policy
# path is compiled into spython, so install refuses a build that would not
# read the policy it installs.

PREFIX        ?= /usr
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
BINDIR        := $(PREFIX)/bin
SBINDIR       := $(PREFIX)/sbin
MANDIR        := $(PREFIX)/share/man
SPYCONFDIR    := $(SYSCONFDIR)/spython
SPYDATADIR    := $(PREFIX)/share/spython
SPYLOGDIR     := $(LOCALSTATEDIR)/log/spython

# Installed when present in $(BUILD): which of them exist depends on which
# issues have landed, so the list is data, not rules.
INSTALL_TOOLS := spython spython-sign spython-audit spython-policy
MAN_PAGES     := $(wildcard man/*.[158])
# The host policy names the directories of this install.
HOST_POLICY   := $(BUILD)/install/policy.conf

.PHONY: install uninstall install-policy
install-policy:
	@mkdir -p $(dir $(HOST_POLICY))
	@sed -e 's|@SPYCONFDIR@|$(SPYCONFDIR)|g' -e 's|@SPYDATADIR@|$(SPYDATADIR)|g' \
	    -e 's|@SPYLOGDIR@|$(SPYLOGDIR)|g' packaging/policy.conf > $(HOST_POLICY)

install: all install-policy
	@compiled=$$($(BUILD)/spython --help | sed -n 's/^Policy: //p'); \
	if [ "$$compiled" != "$(SPYCONFDIR)/policy.conf" ]; then \
	    echo "install: $(BUILD)/spython reads '$$compiled', not $(SPYCONFDIR)/policy.conf: rebuild with 'make clean all POLICY=$(SPYCONFDIR)/policy.conf'" >&2; \
	    exit 1; \
	fi
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SPYDATADIR) \
	    $(DESTDIR)$(SPYCONFDIR) $(DESTDIR)$(SPYCONFDIR)/keys $(DESTDIR)$(SPYCONFDIR)/policy.d
	install -d -m 0750 $(DESTDIR)$(SPYLOGDIR)
	@for t in $(INSTALL_TOOLS); do \
	    if [ -f $(BUILD)/$$t ]; then \
	        echo "install -m 0755 $(BUILD)/$$t $(DESTDIR)$(BINDIR)/$$t"; \
	        install -m 0755 $(BUILD)/$$t $(DESTDIR)$(BINDIR)/$$t || exit 1; \
	    fi; \
	done
	install -m 0755 packaging/spython-switch $(DESTDIR)$(SBINDIR)/spython-switch
	install -m 0644 policy/default.conf $(DESTDIR)$(SPYDATADIR)/default.conf
	@for m in $(MAN_PAGES); do \
	    s=$${m##*.}; \
	    install -d -m 0755 $(DESTDIR)$(MANDIR)/man$$s || exit 1; \
	    echo "install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/"; \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done
	@# An administrator's policy is never overwritten.
	@if [ -e $(DESTDIR)$(SPYCONFDIR)/policy.conf ]; then \
	    echo "install: keeping the existing $(DESTDIR)$(SPYCONFDIR)/policy.conf"; \
	else \
	    echo "install -m 0644 $(HOST_POLICY) $(DESTDIR)$(SPYCONFDIR)/policy.conf"; \
	    install -m 0644 $(HOST_POLICY) $(DESTDIR)$(SPYCONFDIR)/policy.conf; \
	fi

# Audit logs are evidence, so uninstall never deletes them; an edited policy,
# drop-ins and enrolled keys are the administrator's, so they stay too.
uninstall: install-policy
	@for t in $(INSTALL_TOOLS); do \
	    rm -f $(DESTDIR)$(BINDIR)/$$t; \
	done
	rm -f $(DESTDIR)$(SBINDIR)/spython-switch $(DESTDIR)$(SPYDATADIR)/default.conf
	@for m in $(notdir $(MAN_PAGES)); do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; \
	done
	@if cmp -s $(HOST_POLICY) $(DESTDIR)$(SPYCONFDIR)/policy.conf; then \
	    rm -f $(DESTDIR)$(SPYCONFDIR)/policy.conf; \
	elif [ -e $(DESTDIR)$(SPYCONFDIR)/policy.conf ]; then \
	    echo "uninstall: keeping the edited $(DESTDIR)$(SPYCONFDIR)/policy.conf"; \
	fi
	@for d in $(DESTDIR)$(SPYCONFDIR)/keys $(DESTDIR)$(SPYCONFDIR)/policy.d \
	          $(DESTDIR)$(SPYCONFDIR) $(DESTDIR)$(SPYDATADIR) $(DESTDIR)$(SPYLOGDIR); do \
	    if [ -d $$d ] && ! rmdir $$d 2>/dev/null; then echo "uninstall: keeping $$d (not empty)"; fi; \
	done
