#!/bin/sh
# What a user of Debian trixie's own kernel (6.12, no CXL Type-2 driver
# API) gets on aarch64 virt: the CXL topology, and device memory through
# /dev/mem. The demo's checks, as TAP.
exec "$(dirname "$0")/../demo.sh" arm64 --kernel 6.12 --tap
