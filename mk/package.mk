# Packages (issue 8), built from one source tarball of this work tree:
#   make dist   build/pkg/spython-VERSION.tar.gz (the tree without build
#               output and .git: what the lead's commit will hold)
#   make deb    dpkg-buildpackage -us -uc -b with packaging/debian, then lintian
#   make rpm    rpmbuild -bb packaging/rpm/spython.spec (Debian's rpm; --nodeps,
#               since Debian's build dependencies are not in an RPM database)
#   PKG_NOCHECK=1  skip the unit tests inside the package builds (the test
#               that builds both packages sets it: `make check` ran them)
# tests/integration/71-package.sh builds, installs, runs and purges the .deb.

DEB_DEPS += debhelper lintian rpm fakeroot dpkg-dev man-db

PKG_DIR  := $(abspath $(BUILD))/pkg
PKG_NAME := spython-$(VERSION)
PKG_TAR  := $(PKG_DIR)/$(PKG_NAME).tar.gz
DEB_ARCH  = $(shell dpkg --print-architecture)
DEB_FILE  = $(PKG_DIR)/deb/spython_$(VERSION)_$(DEB_ARCH).deb
# The package builds run make again in their own tree. Nothing of this make
# may leak into them: its command line (BUILD=/elsewhere would make their
# `make clean` remove that) reaches children as MAKEFLAGS and as exported
# variables, so they start from an empty environment.
PKG_ENV  := env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$$HOME" LC_ALL=C.UTF-8
PKG_NOCHECK ?=
DEB_OPTS  = parallel=$(shell nproc)$(if $(PKG_NOCHECK), nocheck)
RPM_OPTS  = $(if $(PKG_NOCHECK),--nocheck)

.PHONY: dist deb rpm package-versions
# The packages say which version they are; so does the Makefile. One truth.
package-versions:
	@v=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version); \
	if [ "$$v" != "$(VERSION)" ]; then \
	    echo "package: packaging/debian/changelog says $$v, the Makefile $(VERSION)" >&2; exit 1; \
	fi
	@v=$$(sed -n 's/^Version:[[:space:]]*//p' packaging/rpm/spython.spec); \
	if [ "$$v" != "$(VERSION)" ]; then \
	    echo "package: packaging/rpm/spython.spec says $$v, the Makefile $(VERSION)" >&2; exit 1; \
	fi

# Every file of the tree but build output (build/, build-*/ of the sanitizer
# runs) and .git; sorted, with fixed owners, so the same tree gives the same tar.
dist: package-versions
	@mkdir -p $(PKG_DIR)
	tar --sort=name --owner=0 --group=0 --numeric-owner \
	    --exclude=./.git --exclude='./build' --exclude='./build-*' \
	    --transform 's,^\.,$(PKG_NAME),' -czf $(PKG_TAR).tmp .
	mv $(PKG_TAR).tmp $(PKG_TAR)

deb: dist
	rm -rf $(PKG_DIR)/deb
	mkdir -p $(PKG_DIR)/deb
	tar -C $(PKG_DIR)/deb -xzf $(PKG_TAR)
	cp -R packaging/debian $(PKG_DIR)/deb/$(PKG_NAME)/debian
	@echo "dpkg-buildpackage -us -uc -b (log: $(PKG_DIR)/deb/build.log)"
	@cd $(PKG_DIR)/deb/$(PKG_NAME) && $(PKG_ENV) DEB_BUILD_OPTIONS='$(DEB_OPTS)' dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || \
	    { tail -n 40 ../build.log >&2; echo "deb: dpkg-buildpackage failed" >&2; exit 1; }
	lintian --fail-on error,warning $(DEB_FILE)
	@echo "deb: $(DEB_FILE)"

rpm: dist
	rm -rf $(PKG_DIR)/rpm
	mkdir -p $(PKG_DIR)/rpm/SOURCES
	cp $(PKG_TAR) $(PKG_DIR)/rpm/SOURCES/
	@echo "rpmbuild -bb --nodeps (log: $(PKG_DIR)/rpm/build.log)"
	@# Debian's rpm has no find-debuginfo: no -debuginfo package here.
	@$(PKG_ENV) rpmbuild -bb --nodeps $(RPM_OPTS) --define '_topdir $(PKG_DIR)/rpm' \
	    --define 'debug_package %{nil}' packaging/rpm/spython.spec \
	    > $(PKG_DIR)/rpm/build.log 2>&1 || \
	    { tail -n 40 $(PKG_DIR)/rpm/build.log >&2; echo "rpm: rpmbuild failed" >&2; exit 1; }
	@ls $(PKG_DIR)/rpm/RPMS/*/spython-$(VERSION)-*.rpm
