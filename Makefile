# xenmig top-level Makefile: all, check, check-xen, soak, bench, bench-xen,
# fuzz, install, uninstall, deb, rpm, clean.
# Sources are found by directory, so a new file needs no edit here:
#   save-restore/*.c -> libxenmig.a      (the engine)
#   sim/*.c          -> xenmig-simd       (the simulated hypervisor)
#   toolstack/*.c    -> xenmig            (the CLI)
#   tests/check-*.c  -> one Check suite each
#   bench/*.c        -> one benchmark tool each
#   tests/fuzz/fuzz-*.c -> one libFuzzer harness each (make fuzz only)

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
# override: these are needed, so they are kept even when CFLAGS is given
# on the command line (as rpm's %build does).
override CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
            -D_GNU_SOURCE -pthread -Isave-restore
CPPFLAGS ?=
LDFLAGS  ?=

# Install layout (GNU-style names; the packages set LIBDIR to the
# multiarch or lib64 directory, and rpm sets LIBEXECDIR to /usr/libexec).
# xenmig is an admin tool like xl, so it goes in sbin; xenmig-simd is only
# run by 'xenmig sim-host' and the tests, so it goes in a private directory.
DESTDIR      ?=
PREFIX       ?= /usr
BINDIR       ?= $(PREFIX)/bin
SBINDIR      ?= $(PREFIX)/sbin
LIBDIR       ?= $(PREFIX)/lib
LIBEXECDIR   ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
DATADIR      ?= $(PREFIX)/share
MANDIR       ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR  ?= $(DATADIR)/bash-completion/completions
# For xenmigd when it comes: its conffile and hooks under
# $(SYSCONFDIR)/xenmig, its unit in $(SYSTEMDUNITDIR).
SYSCONFDIR     ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL      ?= install

VERSION  := $(shell sed -n 's/^\#define XM_VERSION_STRING "\(.*\)"/\1/p' save-restore/xenmig.h)
# Where xenmig looks for xenmig-simd, relative to its own directory, so an
# installed tree works wherever DESTDIR puts it.
SIMD_DIR    := $(LIBEXECDIR)/xenmig
SIMD_RELDIR := $(shell realpath -m --relative-to=$(SBINDIR) $(SIMD_DIR))
# The headers a program using libxenmig needs; they go in
# $(INCLUDEDIR)/xenmig/ (names like backend.h are too generic for
# /usr/include), so a program writes #include <xenmig/xenmig.h>.
# codec.h and encoder.h are the library's own business: not installed.
PUBLIC_HEADERS := xenmig.h backend.h sim.h sim-proto.h stream-format.h

PKGS_LIB  = liblz4 libzstd
PKGS_CLI  = yajl
PKGS_TEST = check
pc_cflags = $(shell pkg-config --cflags $(1))
pc_libs   = $(shell pkg-config --libs $(1))

# ---- Xen (libxl and friends, from libxen-dev) -------------------------
# With all of XEN_PKGS installed the Xen-only sources are built and every
# compile sees -DHAVE_XEN; without them they are left out and the rest
# builds as before (the sim backend only).
XEN_PKGS     := xenlight xencontrol xenguest xenstore xentoollog \
                xenforeignmemory
XEN_ONLY_SRC := save-restore/xen-restore.c save-restore/xl-migrate.c \
                save-restore/backend-xen.c
HAVE_XEN     := $(shell pkg-config --exists $(XEN_PKGS) && echo yes)
ifeq ($(HAVE_XEN),yes)
XEN_CFLAGS   := -DHAVE_XEN $(call pc_cflags,$(XEN_PKGS))
XEN_LIBS     := $(call pc_libs,$(XEN_PKGS))
XEN_SKIP     :=
XEN_TOOLS    := tests/xen/xl-refeed tests/xen/xen-backend-probe \
                tests/xen/wire-count
else
XEN_CFLAGS   :=
XEN_LIBS     :=
XEN_SKIP     := $(XEN_ONLY_SRC)
XEN_SKIP_TESTS := tests/check-backend-xen.c
XEN_TOOLS    :=
endif
# XEN_TOOLS: helpers the real-Xen tests (tests/xen/) run in dom0.
# -----------------------------------------------------------------------

LIB_SRC  := $(filter-out $(XEN_SKIP),$(wildcard save-restore/*.c))
LIB_OBJ  := $(LIB_SRC:.c=.o)
SIM_SRC  := $(wildcard sim/*.c)
SIM_OBJ  := $(SIM_SRC:.c=.o)
CLI_SRC  := $(wildcard toolstack/*.c)
CLI_OBJ  := $(CLI_SRC:.c=.o)
TEST_SRC := $(filter-out $(XEN_SKIP_TESTS),$(wildcard tests/check-*.c))
TESTS    := $(TEST_SRC:.c=)
# The suites that start xenmig-simd (userfaultfd: root or a sysctl); the
# others are quick and need nothing, so package builds run just those.
SIM_TESTS  := tests/check-restore tests/check-sim tests/check-fuzz-regress
UNIT_TESTS := $(filter-out $(SIM_TESTS),$(TESTS))
BENCH_SRC:= $(wildcard bench/*.c)
BENCHES  := $(BENCH_SRC:.c=)
LIB      := save-restore/libxenmig.a
LIBS     := -lpthread -lm

all: progs $(TESTS) $(XEN_TOOLS) $(BENCHES)

# What 'make install' installs (the packages build only this).
progs: $(LIB) sim/xenmig-simd toolstack/xenmig

tests: $(TESTS) $(XEN_TOOLS)

save-restore/%.o: save-restore/%.c $(wildcard save-restore/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(XEN_CFLAGS) $(call pc_cflags,$(PKGS_LIB)) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

sim/%.o: sim/%.c $(wildcard sim/*.h save-restore/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Isim -c -o $@ $<

sim/xenmig-simd: $(SIM_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SIM_OBJ) $(LIB) $(LIBS)

toolstack/%.o: toolstack/%.c $(wildcard toolstack/*.h save-restore/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(XEN_CFLAGS) $(call pc_cflags,$(PKGS_CLI)) -Itoolstack -c -o $@ $<

# Rewritten only when the layout changes, so cmd-sim.o is rebuilt then.
toolstack/cmd-sim.o: toolstack/paths.h
toolstack/paths.h: FORCE
	@printf '#define XM_SIMD_RELDIR "%s"\n' '$(SIMD_RELDIR)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

toolstack/xenmig: $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) \
	    $(call pc_libs,$(PKGS_CLI) $(PKGS_LIB)) $(XEN_LIBS) $(LIBS)

tests/check-%: tests/check-%.c $(LIB) $(wildcard tests/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(XEN_CFLAGS) $(call pc_cflags,$(PKGS_TEST)) -Itests $(LDFLAGS) -o $@ $< $(LIB) \
	    $(call pc_libs,$(PKGS_TEST) $(PKGS_LIB)) $(XEN_LIBS) $(LIBS)

tests/xen/%: tests/xen/%.c $(LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(XEN_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) \
	    $(call pc_libs,$(PKGS_LIB)) $(XEN_LIBS) $(LIBS)

# It includes the fuzz harnesses and replays tests/fuzz/regress/.
tests/check-fuzz-regress: $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

bench/%: bench/%.c $(LIB)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(call pc_libs,$(PKGS_LIB)) $(LIBS)

# Every test: the Check suites, then the integration scripts.
check: all
	tests/run-all.sh $(TESTS)

# The Check suites that need no sim host: what package builds run.
check-unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; $$t || exit 1; done

# Every tests/xen/test-*.sh inside a PV dom0 of real Xen 4.17 under QEMU
# (tests/xen/README.md), in one boot; then every tests/xen/pair-*.sh in
# two rigs booted at once on one network (run-two.sh: host A and host B).
# Both steps run; either failing fails the target. Images are cached in
# $(XENMIG_XEN_CACHE) or /var/cache/xenmig-xen; logs go to tests/out/xen/
# and tests/out/xen-two/. Not part of 'check'.
check-xen: progs tests
	tests/xen/build-images.sh
	rc=0; \
	tests/xen/run.sh --no-make $(sort $(wildcard tests/xen/test-*.sh)) || rc=1; \
	tests/xen/run-two.sh --no-make $(sort $(wildcard tests/xen/pair-*.sh)) || rc=1; \
	exit $$rc

# The same tests against a build with ASan and UBSan (in a copy of the tree).
check-asan:
	scripts/check-asan.sh

# libFuzzer harnesses (clang): the library compiled again with coverage,
# ASan and UBSan into tests/fuzz/build/ (never next to the normal
# objects), a seed corpus the project writes (make-corpus, against a sim
# host), then each harness for FUZZ_SECONDS. A crash stops that harness,
# is saved as tests/fuzz/crashes/<harness>-*, and fails the target.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_FLAGS   ?= -use_value_profile=1 -timeout=20 -rss_limit_mb=4096
FUZZ_DIR     := tests/fuzz/build
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
                -D_GNU_SOURCE -pthread -Isave-restore -Itests/fuzz \
                $(call pc_cflags,$(PKGS_LIB))
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz-*.c)
FUZZERS      := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(patsubst save-restore/%.c,$(FUZZ_DIR)/lib/%.o,$(filter-out $(XEN_ONLY_SRC),$(LIB_SRC)))
FUZZ_LIB     := $(FUZZ_DIR)/libxenmig-fuzz.a

$(FUZZ_DIR)/lib/%.o: save-restore/%.c $(wildcard save-restore/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz-common.h $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
	    $(FUZZ_LIB) $(call pc_libs,$(PKGS_LIB)) $(LIBS)

# The corpus generator is an ordinary program against the normal library.
$(FUZZ_DIR)/make-corpus: tests/fuzz/make-corpus.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) \
	    $(call pc_libs,$(PKGS_LIB)) $(XEN_LIBS) $(LIBS)

fuzz-build: $(FUZZERS) $(FUZZ_DIR)/make-corpus

fuzz-corpus: $(FUZZ_DIR)/make-corpus sim/xenmig-simd
	$(FUZZ_DIR)/make-corpus tests/fuzz/corpus

fuzz: fuzz-build fuzz-corpus
	@mkdir -p tests/fuzz/crashes; failed=; \
	for f in $(FUZZERS); do h=$$(basename $$f); \
	    echo "== $$h for $(FUZZ_SECONDS) s"; \
	    mkdir -p tests/fuzz/corpus/$$h; \
	    $$f $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 -artifact_prefix=tests/fuzz/crashes/$$h- \
	        tests/fuzz/corpus/$$h 2>&1 | tee tests/fuzz/build/$$h.log \
	        | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+== ?ERROR|SUMMARY|artifact_prefix|Test unit written)'; \
	    grep -q 'Test unit written' tests/fuzz/build/$$h.log && failed="$$failed $$h"; \
	done; \
	if [ -n "$$failed" ]; then echo "crashes in:$$failed (tests/fuzz/crashes/)"; exit 1; fi
# 200 back-and-forth and 10 concurrent verified migrations, then a short
# run with the xenmig processes under valgrind (tests/soak.sh).
soak: all
	tests/soak.sh

bench: all
	bench/run.sh

# Stock xl migrate against xenmig on a busy and an idle PV domU, in one
# boot of the real-Xen rig (bench/xen/run.sh, bench/README.md).
bench-xen: all
	tests/xen/build-images.sh
	bench/xen/run.sh --no-make

# Man pages go in uncompressed: the packaging compresses them.
install: progs
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SIMD_DIR) \
	    $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/xenmig \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 toolstack/xenmig $(DESTDIR)$(SBINDIR)/xenmig
	$(INSTALL) -m 755 sim/xenmig-simd $(DESTDIR)$(SIMD_DIR)/xenmig-simd
	$(INSTALL) -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libxenmig.a
	$(INSTALL) -m 644 $(addprefix save-restore/,$(PUBLIC_HEADERS)) \
	    $(DESTDIR)$(INCLUDEDIR)/xenmig/
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@XEN_REQUIRES@|$(if $(XEN_SKIP),, $(XEN_PKGS))|' \
	    save-restore/xenmig.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/xenmig.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/xenmig.pc
	$(INSTALL) -m 644 man/xenmig.1 $(DESTDIR)$(MANDIR)/man1/xenmig.1
	$(INSTALL) -m 644 man/xenmig-stream.7 $(DESTDIR)$(MANDIR)/man7/xenmig-stream.7
	$(INSTALL) -m 644 completion/xenmig.bash $(DESTDIR)$(BASHCOMPDIR)/xenmig

# Removes what install put in, and the directories only xenmig uses.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xenmig $(DESTDIR)$(SIMD_DIR)/xenmig-simd \
	    $(DESTDIR)$(LIBDIR)/libxenmig.a \
	    $(addprefix $(DESTDIR)$(INCLUDEDIR)/xenmig/,$(PUBLIC_HEADERS)) \
	    $(DESTDIR)$(PKGCONFIGDIR)/xenmig.pc \
	    $(DESTDIR)$(MANDIR)/man1/xenmig.1 \
	    $(DESTDIR)$(MANDIR)/man7/xenmig-stream.7 \
	    $(DESTDIR)$(BASHCOMPDIR)/xenmig
	-rmdir $(DESTDIR)$(SIMD_DIR) $(DESTDIR)$(INCLUDEDIR)/xenmig

# Packages are built from a copy of the tracked (and new, not ignored)
# files, so neither build writes outside dist/ or leaves objects here.
# The files carry the last commit's time: reproducible, and not "ancient"
# (lintian fails a package whose files are dated 1970).
DIST    := dist
TARBALL := $(DIST)/xenmig-$(VERSION).tar.gz

dist: $(TARBALL)
$(TARBALL): FORCE
	mkdir -p $(DIST)
	git ls-files -z --cached --others --exclude-standard \
	    | tar --null -T - --transform 's|^|xenmig-$(VERSION)/|' \
	        --owner=0 --group=0 --mtime=@$$(git log -1 --format=%ct) -czf $@

# -b: binary packages only (there is no upstream tarball to sign or ship).
deb: $(TARBALL)
	rm -rf $(DIST)/deb && mkdir -p $(DIST)/deb
	tar -xzf $(TARBALL) -C $(DIST)/deb
	cd $(DIST)/deb/xenmig-$(VERSION) && dpkg-buildpackage -us -uc -b
	cp $(DIST)/deb/*.deb $(DIST)/deb/*.buildinfo $(DIST)/deb/*.changes \
	    $(DIST)/

# --nodeps: the BuildRequires name Fedora/RHEL packages, which rpm cannot
# find on a Debian host (the build dependencies come from apt there).
rpm: $(TARBALL)
	rm -rf $(DIST)/rpmbuild
	mkdir -p $(DIST)/rpmbuild/SOURCES
	cp $(TARBALL) $(DIST)/rpmbuild/SOURCES/
	rpmbuild -bb --nodeps --define "_topdir $(CURDIR)/$(DIST)/rpmbuild" \
	    xenmig.spec
	cp $(DIST)/rpmbuild/RPMS/*/*.rpm $(DIST)/

clean:
	rm -f save-restore/*.o sim/*.o toolstack/*.o $(LIB) sim/xenmig-simd \
	    toolstack/xenmig toolstack/paths.h $(TESTS) $(BENCHES) \
	    tests/xen/xl-refeed tests/xen/xen-backend-probe tests/xen/wire-count
	rm -rf bench/out tests/out $(DIST) $(FUZZ_DIR)

FORCE:

.PHONY: all progs tests check check-xen check-unit check-asan soak fuzz fuzz-build \
	fuzz-corpus bench bench-xen install uninstall dist deb rpm clean FORCE
