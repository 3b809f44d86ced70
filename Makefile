# make install / make uninstall: see scripts/install.sh and docs/systemd.md.
#   make install                          build the release binary and install it as a systemd service
#   make install BINARY=path/to/jobwatch  install a binary built elsewhere, without building
#   make install DESTDIR=/tmp/stage PREFIX=/usr   stage for a package
#   make uninstall [PURGE=1]              remove it; PURGE=1 also removes configuration, database and user
PREFIX ?= /usr/local
DESTDIR ?=
BINARY ?=
PURGE ?=

.PHONY: install uninstall check-systemd

install:
	PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' BINARY='$(BINARY)' scripts/install.sh

uninstall:
	PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' scripts/uninstall.sh $(if $(PURGE),--purge)

# Verifies and scores the unit as CI does (needs systemd-analyze, not a running systemd).
check-systemd:
	.ci/systemd-checks
