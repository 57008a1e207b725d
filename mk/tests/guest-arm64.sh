#!/bin/sh
# A Debian arm64 guest on aarch64 virt uses the passed-through emulated accelerator:
# the demo's checks, as TAP.
exec "$(dirname "$0")/../demo.sh" arm64 --tap
