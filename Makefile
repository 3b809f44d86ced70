# make demo:  install what a fresh machine lacks, then run `jobwatch demo` (simulator + daemon + sample jobs)
# make test:  install what a fresh machine lacks, then run the whole test suite (`swift test`)
# make install / make uninstall: see scripts/install.sh and docs/systemd.md.
#   make install                          build the release binary and install it as a systemd service,
#                                         with the man page and bash, zsh and fish completions
#   make install BINARY=path/to/jobwatch  install a binary built elsewhere, without building
#   make install DESTDIR=/tmp/stage PREFIX=/usr   stage for a package
#   make uninstall [PURGE=1]              remove it; PURGE=1 also removes configuration, database and user
PREFIX ?= /usr/local
DESTDIR ?=
BINARY ?=
PURGE ?=

.PHONY: demo test deps install uninstall check-systemd

demo: deps
	swift run jobwatch demo

test: deps
	swift build
	swift test

# The system library GRDB links against; systemd-analyze for `make check-systemd`.
deps:
	@scripts/install-deps.sh

install:
	PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' BINARY='$(BINARY)' scripts/install.sh

uninstall:
	PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' scripts/uninstall.sh $(if $(PURGE),--purge)

# Verifies and scores the unit as CI does (needs systemd-analyze, not a running systemd).
check-systemd:
	.ci/systemd-checks
