#!/bin/sh
# Two HDM decoders committed by the accelerator's firmware, under Linux 7.3
# on aarch64 virt: QEMU places and locks both, with a host bridge decoder
# each, and Linux assembles a region for each. The demo's checks, as TAP.
exec "$(dirname "$0")/../demo.sh" arm64 --committed-decoders 2 --tap
