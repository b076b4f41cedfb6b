# xenmig top-level Makefile: all, check, bench, install, clean.
# Sources are found by directory, so a new file needs no edit here:
#   save-restore/*.c -> libxenmig.a      (the engine)
#   sim/*.c          -> xenmig-simd       (the simulated hypervisor)
#   toolstack/*.c    -> xenmig            (the CLI)
#   tests/check-*.c  -> one Check suite each
#   bench/*.c        -> one benchmark tool each

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
            -D_GNU_SOURCE -pthread -Isave-restore
LDFLAGS  ?=
PREFIX   ?= /usr
DESTDIR  ?=

PKGS_LIB  = liblz4 libzstd
PKGS_CLI  = yajl
PKGS_TEST = check
pc_cflags = $(shell pkg-config --cflags $(1))
pc_libs   = $(shell pkg-config --libs $(1))

LIB_SRC  := $(filter-out save-restore/backend-xen.c,$(wildcard save-restore/*.c))
LIB_OBJ  := $(LIB_SRC:.c=.o)
SIM_SRC  := $(wildcard sim/*.c)
SIM_OBJ  := $(SIM_SRC:.c=.o)
CLI_SRC  := $(wildcard toolstack/*.c)
CLI_OBJ  := $(CLI_SRC:.c=.o)
TEST_SRC := $(wildcard tests/check-*.c)
TESTS    := $(TEST_SRC:.c=)
BENCH_SRC:= $(wildcard bench/*.c)
BENCHES  := $(BENCH_SRC:.c=)
LIB      := save-restore/libxenmig.a
LIBS     := -lpthread -lm

all: $(LIB) sim/xenmig-simd toolstack/xenmig $(TESTS) $(BENCHES)

save-restore/%.o: save-restore/%.c $(wildcard save-restore/*.h)
	$(CC) $(CFLAGS) $(call pc_cflags,$(PKGS_LIB)) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

sim/%.o: sim/%.c $(wildcard sim/*.h save-restore/*.h)
	$(CC) $(CFLAGS) -Isim -c -o $@ $<

sim/xenmig-simd: $(SIM_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SIM_OBJ) $(LIB) $(LIBS)

toolstack/%.o: toolstack/%.c $(wildcard toolstack/*.h save-restore/*.h)
	$(CC) $(CFLAGS) $(call pc_cflags,$(PKGS_CLI)) -Itoolstack -c -o $@ $<

toolstack/xenmig: $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) \
	    $(call pc_libs,$(PKGS_CLI) $(PKGS_LIB)) $(LIBS)

tests/check-%: tests/check-%.c $(LIB) $(wildcard tests/*.h)
	$(CC) $(CFLAGS) $(call pc_cflags,$(PKGS_TEST)) -Itests -o $@ $< $(LIB) \
	    $(call pc_libs,$(PKGS_TEST) $(PKGS_LIB)) $(LIBS)

bench/%: bench/%.c $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(call pc_libs,$(PKGS_LIB)) $(LIBS)

# Every test: the Check suites, then the integration scripts.
check: all
	tests/run-all.sh $(TESTS)

bench: all
	bench/run.sh

clean:
	rm -f save-restore/*.o sim/*.o toolstack/*.o $(LIB) sim/xenmig-simd \
	    toolstack/xenmig $(TESTS) $(BENCHES)
	rm -rf bench/out tests/out

.PHONY: all check bench clean
