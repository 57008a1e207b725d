#!/bin/sh
# Linux 7.3 on aarch64 virt takes the passed-through emulated accelerator
# with its own CXL Type-2 stack and the project's driver; the host bridge
# has one root port and hdm_for_passthrough=off. The demo's checks, as TAP.
exec "$(dirname "$0")/../demo.sh" arm64 --tap
