# QEMU with CXL Type-2 passthrough: build machinery.
# Upstream QEMU is a pinned dependency; see README.rst and mk/.

-include config.mk

TOP := $(abspath .)
export QEMU_TARBALL TARGETS QEMU_CONFIGURE_EXTRA

# make run's guest: arm64 (aarch64 virt) or amd64 (x86_64 q35)
ARCH ?= arm64

.PHONY: all run demo bench check check-host check-host-arm64 check-host-debug check-deps check-debian deb fuzz coverage series series-check deps base assemble build refresh-patches clean distclean help

all: build

help:
	@echo "make run              build, boot the demo's guest with the accelerator"
	@echo "                      and give its shell on this console (ARCH=amd64: q35)"
	@echo "make demo             build, boot a Linux guest that uses the accelerator"
	@echo "make bench            build, measure device memory against RAM and Type 3"
	@echo "make check            build, then run our tests and the covered qtests"
	@echo "make check-host       build, then boot Linux 7.3 as a nested host under"
	@echo "                      q35 with contrib/vfio-cxl-pci, and drive the"
	@echo "                      accelerator through its VFIO (in make check too)"
	@echo "make check-host-arm64 boot Linux 7.3 arm64 as a nested host at EL2 under"
	@echo "                      virt, and run our QEMU cross-built for aarch64 in it,"
	@echo "                      under qtest and under KVM (not in CI: see the README)"
	@echo "make check-host-debug the same on the DEBUG=1 test kernel (lockdep, KASAN,"
	@echo "                      kmemleak, hung tasks), with the driver fuzzer; needs"
	@echo "                      DEBUG=1 mk/nested-kernel/build.sh first (not in CI)"
	@echo "make fuzz             sanitizer build, then the guest and backend fuzzers"
	@echo "make coverage         gcov build, then line and branch coverage of our"
	@echo "                      code under make check's tests and under the fuzzers"
	@echo "make check-deps       mk/deps.sh install in a clean Debian 12 root brings"
	@echo "                      everything the build and the tests call"
	@echo "make check-debian     Debian's qemu source package with the series: build, test"
	@echo "make deb              Debian packages of our QEMU for trixie hosts of"
	@echo "                      ARCH (amd64, arm64) in build/deb/ARCH/, then"
	@echo "                      installed and run in a clean trixie root"
	@echo "make series           the upstream patch series in build/series/"
	@echo "make series-check     the series, then build every patch of it in turn"
	@echo "make deps             install the Debian packages (as root)"
	@echo "make build            assemble build/qemu and build into build/obj"
	@echo "make refresh-patches  turn commits in build/qemu into patches/"
	@echo "make clean            remove build/obj (keeps the assembled tree)"
	@echo "make distclean        remove build/ entirely"

deps:
	@mk/deps.sh install

base:
	@mk/base.sh

assemble:
	@mk/deps.sh verify
	@mk/assemble.sh

build: assemble
	@mk/build.sh

run: build
	@mk/run.sh $(ARCH)

demo: build
	@mk/demo.sh arm64

bench: build
	@mk/bench.sh

check: build
	@mk/check.sh

check-host: build
	@mk/check-host-suite.sh

check-host-arm64: build
	@CHECK_HOST_ARCH=arm64 mk/check-host-suite.sh

check-host-debug: build
	@mk/nested-host/check-host-debug.sh

fuzz: build
	@mk/fuzz.sh

coverage: assemble
	@mk/coverage.sh

check-deps:
	@mk/deps.sh verify
	@mk/check-deps.sh

check-debian: assemble
	@mk/check-debian.sh

deb: assemble
	@mk/deb/build.sh $(ARCH)
	@mk/deb/install-check.sh $(ARCH)

series: assemble
	@mk/series.sh

series-check: assemble
	@mk/series.sh --check

refresh-patches:
	@mk/refresh-patches.sh

clean:
	rm -rf build/obj build/bin build/obj-san build/bin-san build/fuzz build/obj-cov build/bin-cov build/coverage build/series-tree build/debian build/deb build/run

distclean:
	rm -rf build config.mk
