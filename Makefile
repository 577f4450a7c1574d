# SPDX-License-Identifier: GPL-2.0
#
# imasnap: make IMA attestation survive kexec.
#
#   make            the imasnap tool (userspace/imasnap) and imasnap.ko
#   make check      every test (installs what it needs first: scripts/deps.sh)
#   make demo       boot Debian's kernel with a software TPM and show the story
#   make bench      benchmarks
#   make fuzz       the libFuzzer targets, FUZZ_TIME seconds each (make check runs fuzz-smoke)
#   make install    imasnap.ko into /lib/modules/$(KVER)/updates, the tool into /usr/local

CACHE ?= /var/cache/imasnap
export IMASNAP_CACHE := $(CACHE)
# The kernel to build for: the one scripts/deps.sh pinned, else the running one.
KVER ?= $(shell cat $(CACHE)/kernel/ABI 2>/dev/null || uname -r)
KDIR ?= $(firstword $(wildcard /usr/src/linux-headers-$(KVER) /lib/modules/$(KVER)/build) \
	/usr/src/linux-headers-$(KVER))
BUILD := $(CURDIR)/build

all: userspace module

userspace:
	$(MAKE) -C userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

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
	for h in forge-shard forge-record tpm-extend; do \
		$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iuserspace/lib \
		-o tests/cli/build/$$h tests/cli/$$h.c userspace/build/libimasnap.a \
		$$(pkg-config --libs libcrypto json-c tss2-esys tss2-tctildr tss2-rc tss2-mu) || exit 1; \
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

# Build the module from scratch with W=1, sparse on every file and -Werror;
# any warning from the compiler, sparse or kernel-doc fails.
module-check:
	@mkdir -p $(BUILD)
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 C=2 KCFLAGS=-Werror modules 2>&1 | tee $(BUILD)/module-check.log
	@if grep -E 'warning|error' $(BUILD)/module-check.log | grep -v 'Skipping BTF generation'; then \
		echo "module-check: warnings above" >&2; exit 1; fi
	@echo "module-check: imasnap.ko built with W=1 and sparse, 0 warnings"

style:
	scripts/checkpatch.sh

smoke: userspace module
	tests/qemu/smoke.sh

kexec-tools:
	kexec/build.sh
	kexec/build.sh arm64

kexec: userspace module kexec-tools test-helpers
	tests/qemu/kexec.sh

# A UML KUnit kernel from linux-source-6.1 with lib/, the module's units and
# tests/kunit/ in it (built once into $(CACHE)/kunit, then incrementally).
kunit:
	tests/kunit/run.sh

# The same suites in an x86_64 KUnit kernel under QEMU (TCG) with swtpm on a
# TIS device, plus imasnap_tpm: the module's tpm.c against that real chip.
kunit-tpm:
	tests/kunit/run.sh --tpm

check: deps
	$(MAKE) userspace
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) kunit
	$(MAKE) kunit-tpm
	$(MAKE) cli
	$(MAKE) module-check
	$(MAKE) style
	$(MAKE) smoke
	$(MAKE) kexec
	@echo "check: all passed"

# --- demo and benchmarks ----------------------------------------------------------

demo: deps
	$(MAKE) userspace module
	scripts/demo.sh

bench: userspace
	$(MAKE) -C bench run

fixtures: userspace
	tests/data/regenerate.sh

PHONY_FUZZ := fuzz fuzz-smoke
.PHONY: $(PHONY_FUZZ) kunit-tpm test-helpers all userspace module install clean deps unit cli module-check style smoke kexec kexec-tools kunit \
	check demo bench fixtures
