# SPDX-License-Identifier: GPL-2.0
#
# imasnap: make IMA attestation survive kexec.
#
#   make            the imasnap tool (userspace/imasnap) and imasnap.ko
#   make check      every test (installs what it needs first: scripts/deps.sh)
#   make demo       a Debian 12 guest with systemd and the packages: three kexec hops, verified
#   make bench      benchmarks (QUICK=1: without the kernel's, under QEMU)
#   make fuzz       the libFuzzer targets, FUZZ_TIME seconds each (make check runs fuzz-smoke)
#   make install    imasnap.ko into /lib/modules/$(KVER)/updates, the tool into /usr/local

CACHE ?= /var/cache/imasnap
export IMASNAP_CACHE := $(CACHE)
# The kernel to build for: the one scripts/deps.sh pinned, else the running one.
KVER ?= $(shell cat $(CACHE)/kernel/ABI 2>/dev/null || uname -r)
KDIR ?= $(firstword $(wildcard /usr/src/linux-headers-$(KVER) /lib/modules/$(KVER)/build) \
	/usr/src/linux-headers-$(KVER))
BUILD := $(CURDIR)/build
# One of the kernels of scripts/kernels.sh (bookworm, bookworm-bpo,
# trixie-cloud, sid, sid-cloud): `make module KERNEL=<name>` builds
# build/kernels/<name>/imasnap.ko; `make smoke` and `make kexec` boot it
# (default bookworm).  Without KERNEL, `make module` builds ./imasnap.ko
# for KVER, the one `make install` installs.
KERNELS := bookworm bookworm-bpo trixie-cloud sid sid-cloud
TEST_KERNEL = $(or $(KERNEL),bookworm)
# The hot-swap of `make hops`: one kernel after the other, with kexec -s.
HOP_KERNELS := bookworm bookworm-bpo sid-cloud

all: userspace module

userspace:
	$(MAKE) -C userspace

module:
ifeq ($(KERNEL),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
else
	$(MAKE) module-$(KERNEL)
endif

# imasnap.ko for one kernel of scripts/kernels.sh, from a fresh copy of the
# sources, with W=1, sparse and -Werror (sparse must have run on every
# file): any warning fails.  Rebuilt when a source changes.
MODULE_SOURCES := Kbuild $(wildcard lib/*.[ch] module/*.[ch] include/uapi/linux/*.h) scripts/kernels.sh
.PRECIOUS: $(BUILD)/kernels/%/imasnap.ko
$(BUILD)/kernels/%/imasnap.ko: $(MODULE_SOURCES)
	scripts/kernels.sh prepare $*
	scripts/kernels.sh build $* $(BUILD)/kernels/$* W=1 C=2 KCFLAGS=-Werror
	@if grep -iE 'warning|error' $(BUILD)/kernels/$*/build.log | grep -v 'Skipping BTF generation'; then \
		rm -f $@; echo "module: warnings above ($*)" >&2; exit 1; fi
	@echo "module: imasnap.ko for $* ($$(cat $(BUILD)/kernels/$*/release)): W=1, sparse, 0 warnings"

module-%: $(BUILD)/kernels/%/imasnap.ko
	@:

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	$(MAKE) -C userspace install

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C userspace clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzz clean
	$(MAKE) -C bench clean
	$(MAKE) -C tests/qemu/helpers clean
	rm -rf $(BUILD)

deps:
	scripts/deps.sh

# --- tests -------------------------------------------------------------------

unit: userspace
	$(MAKE) -C tests/unit
	$(MAKE) -C tests/unit SANITIZE=1

# libFuzzer targets for every parser of untrusted input (clang, ASan, UBSan):
# each over its seeds and a fixed number of inputs from a fixed seed.
fuzz-smoke:
	$(MAKE) -C tests/fuzz smoke

fuzz:
	$(MAKE) -C tests/fuzz fuzz

# The test helpers that forge shards and records and extend a software TPM.
test-helpers: userspace
	@mkdir -p tests/cli/build
	for h in forge-shard forge-record tpm-extend view-read big-records; do \
		$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iuserspace/lib \
		-o tests/cli/build/$$h tests/cli/$$h.c userspace/build/libimasnap.a \
		$$(pkg-config --libs libcrypto json-c tss2-esys tss2-tctildr tss2-rc tss2-mu) -pthread || exit 1; \
	done

cli: userspace test-helpers
	$(MAKE) -C userspace SANITIZE=1
	tests/cli/replay.sh $(CURDIR)/userspace/imasnap
	tests/cli/replay.sh $(CURDIR)/userspace/build-san/imasnap
	tests/cli/archive.sh $(CURDIR)/userspace/imasnap
	tests/cli/archive.sh $(CURDIR)/userspace/build-san/imasnap
	tests/cli/quote.sh $(CURDIR)/userspace/imasnap
	tests/cli/quote.sh $(CURDIR)/userspace/build-san/imasnap
	tests/cli/attest.sh $(CURDIR)/userspace/imasnap
	tests/cli/attest.sh $(CURDIR)/userspace/build-san/imasnap
	tests/cli/quote-values.sh $(CURDIR)/userspace/imasnap
	tests/cli/quote-values.sh $(CURDIR)/userspace/build-san/imasnap
	tests/cli/log.sh $(CURDIR)/userspace/imasnap
	tests/cli/log.sh $(CURDIR)/userspace/build-san/imasnap
	tests/cli/mount.sh $(CURDIR)/userspace/imasnap
	tests/cli/mount.sh $(CURDIR)/userspace/build-san/imasnap

# The module for every kernel, from scratch, with W=1, sparse and -Werror.
module-check: $(addprefix module-,$(KERNELS))
	@echo "module-check: imasnap.ko built for $(words $(KERNELS)) kernels with W=1 and sparse, 0 warnings"

style:
	scripts/checkpatch.sh

smoke: userspace module-$(TEST_KERNEL)
	IMASNAP_KERNEL=$(TEST_KERNEL) tests/qemu/smoke.sh

kexec-tools:
	kexec/build.sh
	kexec/build.sh arm64

# The whole QEMU suite on one kernel: the smoke boots (module cycles under
# panic_on_warn=1), then every kexec hop into the same kernel.
kexec: userspace module-$(TEST_KERNEL) kexec-tools test-helpers
	$(MAKE) qemu-on-$(TEST_KERNEL)

qemu-on-%:
	IMASNAP_KERNEL=$* tests/qemu/smoke.sh
	IMASNAP_KERNEL=$* tests/qemu/kexec.sh

# A hot-swap from one kernel into the next (HOP_KERNELS), each with its own
# build of the module, verified on the host.
hops: userspace $(addprefix module-,$(HOP_KERNELS)) kexec-tools
	$(MAKE) qemu-hops

qemu-hops:
	tests/qemu/hops.sh $(HOP_KERNELS)

# make kexec on every kernel, and make hops: the modules built one after the
# other, then the guests two at a time (each QEMU runs on one core), every
# suite's output printed whole when it ends.
kexec-all: userspace $(addprefix module-,$(KERNELS)) kexec-tools test-helpers
	$(MAKE) -C tests/qemu/helpers
	$(MAKE) -j2 -k --output-sync=target $(addprefix qemu-on-,$(KERNELS)) qemu-hops

# dkms add + dkms build -k for every kernel, with its suite's dkms.
dkms:
	tests/dkms.sh $(KERNELS)

# The Debian packages (imasnap, imasnap-dkms, kexec-tools-imasnap) into
# build/deb/, lintian-checked.
deb:
	scripts/deb.sh

# make deb, then the packages installed, removed and purged in a Debian 12
# chroot (DKMS builds the module for the bookworm kernel there).
deb-check: module-bookworm
	tests/deb.sh

# The real deployment: a Debian 12 guest with systemd, the packages of
# make deb installed with apt (DKMS builds the module in it), three hops of
# systemctl kexec done by the packaged units, each kernel's quote verified
# on the host, then the attacks (tests/system/hops.sh; the image is cached
# in $(CACHE)/system).
system: userspace deb
	scripts/kernels.sh prepare bookworm bookworm-bpo
	tests/system/hops.sh

# A UML KUnit kernel from linux-source-6.1 with lib/, the module's units and
# tests/kunit/ in it (built once into $(CACHE)/kunit, then incrementally).
kunit:
	tests/kunit/run.sh

# The same UML run from sid's linux-source-7.2 (scripts/kernels.sh source).
kunit-7.2:
	tests/kunit/run.sh --source 7.2

# The same suites in an x86_64 KUnit kernel under QEMU (TCG) with swtpm on a
# TIS device, plus imasnap_tpm: the module's tpm.c against that real chip.
kunit-tpm:
	tests/kunit/run.sh --tpm

check: deps
	$(MAKE) userspace
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) kunit
	$(MAKE) kunit-7.2
	$(MAKE) kunit-tpm
	$(MAKE) cli
	$(MAKE) module-check
	$(MAKE) style
	$(MAKE) dkms
	$(MAKE) deb-check
	$(MAKE) kexec-all
	$(MAKE) system
	@echo "check: all passed"

# --- demo and benchmarks ----------------------------------------------------------

# The three-hop story of tests/system, told as it happens (scripts/demo.sh).
demo: deps
	$(MAKE) userspace deb
	scripts/kernels.sh prepare bookworm bookworm-bpo
	scripts/demo.sh

# QUICK=1: the userspace figures only (the kernel's, under QEMU, print n/a).
QUICK ?=
bench: userspace test-helpers $(if $(QUICK),,module-$(TEST_KERNEL) kexec-tools)
	$(if $(QUICK),,$(MAKE) -C tests/qemu/helpers)
	$(MAKE) -C bench run QUICK=$(QUICK) KERNEL=$(TEST_KERNEL)

fixtures: userspace
	tests/data/regenerate.sh

PHONY_FUZZ := fuzz fuzz-smoke
.PHONY: $(PHONY_FUZZ) kunit-7.2 kexec-all hops qemu-hops dkms deb deb-check system kunit-tpm test-helpers all userspace module install clean deps unit cli module-check style smoke kexec kexec-tools kunit \
	check demo bench fixtures
