# ulk: Linux 6.12 as a library.
#
#   make          build build/lib/libulk.{a,so} and build/include/ulk
#   make demo     boot ulk and show what it is
#   make test     run the test suite (last line: N passed, N failed, N skipped),
#                 the unit, integration and net/ test programs a second time
#                 built with ASan+UBSan (make test ASAN_TIER=0 leaves them out)
#   make check-asan  only the sanitized ones
#   make bench    benchmarks, side by side with the host kernel
#   make fuzz     run each fuzz target (tests/fuzz/) for FUZZ_TIME seconds
#
# Every target first installs missing Debian packages (scripts/deps.sh).

# SANITIZE=1 builds the host side (lib/, tools/run, the unit and
# integration tests) with AddressSanitizer and UBSan into its own directory
# (BUILD, default build-asan), against the kernel, its exported headers and
# generated sources of an ordinary build (KBUILD, default build): the kernel
# object is never instrumented, and is built once for both.
SANITIZE   ?=
ifeq ($(SANITIZE),1)
BUILD      ?= build-asan
KBUILD     ?= build
else
BUILD      ?= build
KBUILD     ?= $(BUILD)
endif
# Where `make test` and `make check-asan` put the sanitized build.
ASAN_BUILD ?= $(BUILD)-asan
ASAN_TIER  ?= 1
KTARBALL   ?= /usr/src/linux-source-6.12.tar.xz
JOBS       ?= $(shell nproc)

B          := $(abspath $(BUILD))
KB         := $(abspath $(KBUILD))
KSRC       := $(KB)/linux
KOBJ       := $(KB)/kernel
KHDR       := $(KB)/kernel-headers
GEN        := $(KB)/gen
INC        := $(KB)/include
KERNEL_O   := $(KB)/obj/kernel.o
LIBDIR     := $(B)/lib
OBJDIR     := $(B)/obj

CC         ?= gcc
HOST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -fPIC \
	-D_FORTIFY_SOURCE=2 -fstack-protector-strong -I$(INC) -Iinclude -Ilib
ifeq ($(SANITIZE),1)
# Fortified string functions would hide the accesses from ASan's own checks.
HOST_CFLAGS += -U_FORTIFY_SOURCE -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
endif
KMAKE      := $(MAKE) -C $(KSRC) O=$(KOBJ) ARCH=ulk -s

# Entry points the kernel object keeps global; everything else in it is
# made local so the kernel's memcpy, printk, socket... never leave it.
KERNEL_ENTRY := ulk_arch_boot ulk_arch_halt ulk_arch_syscall ulk_arch_interrupt ulk_trigger_irq

LIB_SRCS   := $(wildcard lib/*.c lib/*/*.c)
LIB_HDRS   := $(wildcard lib/*.h lib/*/*.h include/ulk/*.h)
LIB_OBJS   := $(patsubst lib/%.c,$(OBJDIR)/%.o,$(LIB_SRCS)) $(OBJDIR)/syscalls.o

.PHONY: all deps kernel headers lib demo test check-asan sanitized-tests bench fuzz fuzz-build clean distclean

all: lib

deps:
	@bash scripts/deps.sh

# --- kernel tree: the Debian tarball, our arch overlaid, our patches -------

$(KB)/.src-stamp: $(wildcard kernel/patches/*.patch) | deps
	@test -f $(KTARBALL) || { echo "error: $(KTARBALL) missing: install the Debian package linux-source-6.12 (scripts/deps.sh does)" >&2; exit 1; }
	@echo "  UNPACK  $(KTARBALL)"
	@rm -rf $(KSRC) $(KB)/linux-source-6.12 && mkdir -p $(KB)
	@tar -xf $(KTARBALL) -C $(KB) && mv $(KB)/linux-source-6.12 $(KSRC)
	@for p in $(sort $(wildcard kernel/patches/*.patch)); do \
		echo "  PATCH   $$p"; patch -s -p1 -d $(KSRC) < $$p || exit 1; done
	@touch $@

# Everything the kernel build reads from this tree: a change to any of it
# re-runs Kbuild (which then recompiles what it must); nothing else does.
KERNEL_SRCS := $(shell find kernel -type f) include/ulk/host_ops.h

$(KB)/.overlay-stamp: $(KERNEL_SRCS) $(KB)/.src-stamp
	@mkdir -p $(KSRC)/arch/ulk/include/shared/ulk
	@rsync -a --delete --exclude include/shared kernel/arch/ulk/ $(KSRC)/arch/ulk/
	@rsync -a include/ulk/host_ops.h $(KSRC)/arch/ulk/include/shared/ulk/host_ops.h
	@touch $@

$(KOBJ)/.config: kernel/configs/ulk_defconfig $(wildcard kernel/arch/ulk/Kconfig*) | $(KB)/.overlay-stamp
	@echo "  CONFIG  $<"
	@mkdir -p $(KOBJ)
	@$(KMAKE) KCONFIG_ALLCONFIG=$(abspath $<) allnoconfig >/dev/null

$(KOBJ)/vmlinux: $(KOBJ)/.config $(KB)/.overlay-stamp
	@echo "  KBUILD  vmlinux (ARCH=ulk, $(JOBS) jobs)"
	@+$(KMAKE) -j$(JOBS) vmlinux
	@touch $@

kernel: $(KOBJ)/vmlinux

$(KHDR)/.stamp: $(KOBJ)/.config $(wildcard kernel/arch/ulk/include/uapi/asm/*) | $(KB)/.overlay-stamp
	@echo "  HDRINST $(KHDR)"
	@rm -rf $(KHDR) && $(KMAKE) headers_install INSTALL_HDR_PATH=$(KHDR) >/dev/null
	@touch $@

# The kernel as one relocatable object with only the entry points global.
$(KERNEL_O): $(KOBJ)/vmlinux
	@mkdir -p $(dir $@)
	@echo "  LOCALIZE $@"
	@objcopy $(addprefix --keep-global-symbol=,$(KERNEL_ENTRY)) \
		$(KOBJ)/vmlinux $@.tmp
	@undef=$$(nm -u $@.tmp | grep -v " _GLOBAL_OFFSET_TABLE_$$"); if [ -n "$$undef" ]; then \
		echo "error: kernel object has undefined symbols:" >&2; \
		echo "$$undef" >&2; rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@

# --- host side ------------------------------------------------------------

headers: $(INC)/ulk/.stamp

$(INC)/ulk/.stamp: $(KHDR)/.stamp scripts/export_headers.py scripts/gen_syscalls.py $(wildcard include/ulk/*.h)
	@echo "  EXPORT  $(INC)/ulk"
	@rm -rf $(INC) && mkdir -p $(INC)/ulk $(GEN)
	@python3 scripts/export_headers.py $(KHDR) $(INC)
	@python3 scripts/gen_syscalls.py --tbl $(KSRC)/scripts/syscall.tbl \
		--abis common,64,rlimit \
		--syscalls-h $(KSRC)/include/linux/syscalls.h --headers $(INC) \
		--out-h $(INC)/ulk/syscalls.h --out-c $(GEN)/syscalls.c
	@cp include/ulk/*.h $(INC)/ulk/
	@touch $@

$(OBJDIR)/%.o: lib/%.c $(INC)/ulk/.stamp $(LIB_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(HOST_CFLAGS) -c $< -o $@

$(OBJDIR)/syscalls.o: $(INC)/ulk/.stamp
	@echo "  CC      $(GEN)/syscalls.c"
	@$(CC) $(HOST_CFLAGS) -c $(GEN)/syscalls.c -o $@

$(LIBDIR)/libulk.a: $(KERNEL_O) $(LIB_OBJS)
	@mkdir -p $(LIBDIR)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $^

$(LIBDIR)/libulk.so: $(KERNEL_O) $(LIB_OBJS) lib/libulk.map
	@mkdir -p $(LIBDIR)
	@echo "  LD      $@"
	@$(CC) -shared -o $@ $(KERNEL_O) $(LIB_OBJS) \
		-Wl,--version-script=lib/libulk.map -Wl,-z,text -Wl,-z,defs \
		-Wl,-soname,libulk.so -lpthread

ifeq ($(SANITIZE),1)
# Only what the sanitized tiers link: the shared library and the preload
# shim would need the sanitizer runtime loaded before them in every program.
lib: $(LIBDIR)/libulk.a
else
lib: $(LIBDIR)/libulk.a $(LIBDIR)/libulk.so $(LIBDIR)/libulk-preload.so $(B)/bin/ulk-run $(B)/bin/ulk-proxy $(B)/bin/ulkctl
endif

# --- ulk-proxy (tools/proxy/) -------------------------------------------------

PROXY_SRCS := $(wildcard tools/proxy/*.c)
PROXY_HDRS := $(wildcard tools/proxy/*.h)

$(B)/bin/ulk-proxy: $(PROXY_SRCS) $(PROXY_HDRS) $(LIBDIR)/libulk.a
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(HOST_CFLAGS) -Itools/proxy $(PROXY_SRCS) -o $@ $(LIBDIR)/libulk.a -lpthread

# --- ulkctl (tools/ctl/) -------------------------------------------------------

$(B)/bin/ulkctl: $(wildcard tools/ctl/*.c tools/ctl/*.h) $(LIBDIR)/libulk.a
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(HOST_CFLAGS) $(wildcard tools/ctl/*.c) -o $@ $(LIBDIR)/libulk.a -lpcap -lpthread

# --- ulk-run and the preload shim (tools/) --------------------------------

RUN_SRCS     := tools/run/options.c
RUN_HDRS     := $(wildcard tools/run/*.h) lib/cpulist.h lib/hostfd.h lib/ctl/ctl.h
PRELOAD_SRCS := $(wildcard tools/preload/*.c)
PRELOAD_HDRS := $(wildcard tools/preload/*.h)

$(B)/bin/ulk-run: tools/run/ulk_run.c tools/run/config.c tools/run/confine.c $(RUN_SRCS) $(RUN_HDRS) lib/cpulist.c lib/hostfd.c lib/ctl/path.c $(INC)/ulk/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(HOST_CFLAGS) -Itools/run tools/run/ulk_run.c tools/run/config.c tools/run/confine.c $(RUN_SRCS) lib/cpulist.c lib/hostfd.c lib/ctl/path.c -o $@ -ljson-c -lpthread

# The wrappers and the export list come from one table (tools/preload/calls.list).
$(GEN)/preload_calls.c $(GEN)/preload.map &: tools/preload/calls.list scripts/gen_preload.py $(INC)/ulk/.stamp
	@echo "  GEN     $(GEN)/preload_calls.c"
	@python3 scripts/gen_preload.py tools/preload/calls.list $(GEN)/preload_calls.c $(GEN)/preload.map

$(LIBDIR)/libulk-preload.so: $(PRELOAD_SRCS) $(PRELOAD_HDRS) $(RUN_SRCS) $(RUN_HDRS) $(GEN)/preload_calls.c $(GEN)/preload.map $(KERNEL_O) $(LIB_OBJS)
	@mkdir -p $(LIBDIR)
	@echo "  LD      $@"
	@$(CC) $(HOST_CFLAGS) -U_FORTIFY_SOURCE -Itools/run -Itools/preload -shared -o $@ \
		$(PRELOAD_SRCS) $(RUN_SRCS) $(GEN)/preload_calls.c $(KERNEL_O) $(LIB_OBJS) \
		-Wl,--version-script=$(GEN)/preload.map -Wl,-z,text -Wl,-z,defs -ldl -lpthread

# --- tests, demo, benchmarks ----------------------------------------------

TEST_SRCS := $(wildcard tests/*/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRCS))
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRCS))

# Unit tests of host code link the source they test; the rest link libulk.a.
# Sanitized, each also carries the sanitizers' options (tests/sanitizers.c).
ifeq ($(SANITIZE),1)
TEST_EXTRA := tests/sanitizers.c
else
TEST_EXTRA :=
endif

$(B)/tests/unit/test_hostops: tests/unit/test_hostops.c lib/hostops_posix.c lib/hostops_posix.h lib/hostfd.c lib/hostfd.h lib/uaccess.c lib/uaccess.h $(TEST_EXTRA)
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) $< $(TEST_EXTRA) lib/hostops_posix.c lib/hostfd.c lib/uaccess.c -o $@ -lpthread

$(B)/tests/unit/test_run_options: tests/unit/test_run_options.c $(RUN_SRCS) $(RUN_HDRS) lib/cpulist.c lib/hostfd.c lib/ctl/path.c $(INC)/ulk/.stamp $(TEST_EXTRA)
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) -Itools/run $< $(TEST_EXTRA) $(RUN_SRCS) lib/cpulist.c lib/hostfd.c lib/ctl/path.c -o $@ -lpthread

$(B)/tests/unit/test_fdtable: tests/unit/test_fdtable.c tools/preload/fdtable.c lib/hostfd.c lib/hostfd.h $(PRELOAD_HDRS) $(INC)/ulk/.stamp $(TEST_EXTRA)
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) -Itools/preload $< $(TEST_EXTRA) tools/preload/fdtable.c lib/hostfd.c -o $@ -lpthread

$(B)/tests/unit/%: tests/unit/%.c $(INC)/ulk/.stamp $(TEST_EXTRA)
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) $< $(TEST_EXTRA) -o $@ -lpthread

$(B)/tests/%: tests/%.c $(LIBDIR)/libulk.a tests/common.h $(wildcard tests/net/*.h) $(TEST_EXTRA)
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) -Itests $< $(TEST_EXTRA) -o $@ $(LIBDIR)/libulk.a -lpthread

$(B)/bench/%: bench/%.c $(LIBDIR)/libulk.a
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) -Itests $< -o $@ $(LIBDIR)/libulk.a -lpthread

$(B)/demo $(B)/net_demo: $(B)/%: demo/%.c $(LIBDIR)/libulk.a
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) $< -o $@ $(LIBDIR)/libulk.a -lpthread

# Programs that tests run under ulk-run: plain programs, no libulk.
RUN_HELPERS := $(patsubst tests/run/%.c,$(B)/tests/run/%,$(wildcard tests/run/*.c))
RUN_HELPERS += $(B)/tests/run/libholdconn.so
run-helpers: $(RUN_HELPERS)
$(B)/tests/run/libholdconn.so: tests/run/preload/holdconn.c
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) -shared $< -o $@
$(B)/tests/run/%: tests/run/%.c
	@mkdir -p $(dir $@)
	@$(CC) $(HOST_CFLAGS) $< -o $@ -lpthread

# --- fuzz targets (tests/fuzz/): libFuzzer, built with clang -------------
#
# Each target links the host code it drives, as the unit tests do, built
# with ASan and UBSan (any report aborts); only ulk_trigger_irq(), the
# kernel's entry point, is the harness's own (tests/fuzz/guest.c). The gcc
# build above is not touched.

FUZZ_CC      ?= clang-14
FUZZ_TIME    ?= 600
FUZZ_CFLAGS  := -std=gnu11 -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I$(INC) -Iinclude -Ilib -Itools/run -Itools/preload -Itools/proxy -Itests/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(B)/fuzz/fuzz_,$(FUZZ_TARGETS))
FUZZ_HDRS    := $(wildcard tests/fuzz/*.h) $(LIB_HDRS) $(RUN_HDRS) $(PRELOAD_HDRS)
FUZZ_DEVICE  := tests/fuzz/guest.c lib/virtio/virtqueue.c lib/virtio/mmio.c \
	lib/virtio/net.c lib/hostfd.c lib/hostops_posix.c lib/uaccess.c

FUZZ_SRCS_virtqueue := $(FUZZ_DEVICE)
FUZZ_SRCS_pipe      := $(FUZZ_DEVICE) lib/net/pipe.c lib/net/impair.c
FUZZ_SRCS_vnet_hdr  := lib/net/impair.c
FUZZ_SRCS_dns       := tools/preload/dnsmsg.c
FUZZ_SRCS_config    := tools/run/config.c tools/run/options.c lib/cpulist.c lib/hostfd.c lib/ctl/path.c
FUZZ_SRCS_options   := tools/run/options.c lib/cpulist.c lib/hostfd.c lib/ctl/path.c
FUZZ_SRCS_dhcp      := tools/proxy/dhcp.c
FUZZ_SRCS_echo      := tools/proxy/icmp.c
FUZZ_SRCS_stream    := lib/net/stream.c lib/hostfd.c
FUZZ_SRCS_ctl       := lib/ctl/marshal.c
FUZZ_LIBS_stream    := -lpthread
FUZZ_LIBS_virtqueue := -lpthread
FUZZ_LIBS_pipe      := -lpthread -lm
FUZZ_LIBS_vnet_hdr  := -lm
FUZZ_LIBS_config    := -ljson-c -lpthread
FUZZ_LIBS_options   := -lpthread

define fuzz_rule
$(B)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $$(FUZZ_SRCS_$(1)) $$(FUZZ_HDRS) $$(INC)/ulk/.stamp
	@mkdir -p $$(dir $$@)
	@echo "  FUZZCC  $$@"
	@$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$< $$(FUZZ_SRCS_$(1)) -o $$@ $$(FUZZ_LIBS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

fuzz-build: deps $(FUZZ_BINS)

# Longer runs than the test's (tests/fuzz/test_fuzz.sh); corpus growth
# stays in $(B)/fuzz/corpus, findings in $(B)/fuzz/artifacts.
fuzz: fuzz-build
	@bash tests/fuzz/run_fuzz.sh $(B) $(FUZZ_TIME)

# The sanitized tiers (tests/run.sh names them asan/unit/..., asan/integration/...):
# the host side and the unit and integration tests built with SANITIZE=1,
# run with the options of tests/sanitizers.c, and the test programs of net/
# (TAP, impairment filter; the scripts there use the ordinary build). Not
# the link tier (it checks the uninstrumented library's symbols), not run/
# (the preload shim and ulk-run drive unmodified programs, which would need
# the sanitizer runtime preloaded ahead of the shim).
SAN_TEST_BINS := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c tests/integration/test_*.c tests/net/test_*.c))
ASAN_MAKE = +$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(ASAN_BUILD) KBUILD=$(BUILD)

ifeq ($(SANITIZE),1)
sanitized-tests: deps lib $(SAN_TEST_BINS)

test check-asan: sanitized-tests
	@bash tests/run.sh --sanitized $(B) $(KB) asan/
else
ifeq ($(ASAN_TIER),1)
test: deps lib $(TEST_BINS) $(RUN_HELPERS) $(B)/bench/tcpperf
	@$(ASAN_MAKE) sanitized-tests
	@bash tests/run.sh --sanitized $(abspath $(ASAN_BUILD)) $(B)
else
test: deps lib $(TEST_BINS) $(RUN_HELPERS) $(B)/bench/tcpperf
	@bash tests/run.sh $(B)
endif

check-asan: deps $(KERNEL_O) $(INC)/ulk/.stamp
	@$(ASAN_MAKE) check-asan
endif

demo: deps $(B)/demo $(B)/net_demo
	@bash demo/run.sh $(B)

# Every script runs even if one before it failed; any failure fails bench.
bench: deps lib $(BENCH_BINS) $(B)/bench/tcpperf
	@rc=0; for s in bench/bench_*.sh; do bash $$s $(B) || rc=1; done; exit $$rc

ifeq ($(SANITIZE),1)
# The headers and generated sources belong to the ordinary build (KBUILD).
clean distclean:
	rm -rf $(B)
else
clean:
	rm -rf $(OBJDIR) $(LIBDIR) $(INC) $(GEN) $(B)/bin $(B)/tests $(B)/bench $(B)/demo $(B)/fuzz
	rm -rf $(abspath $(ASAN_BUILD))

distclean:
	rm -rf $(B) $(abspath $(ASAN_BUILD))
endif
