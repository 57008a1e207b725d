#!/bin/sh
# Linux 7.3 on x86_64 q35 takes the passed-through emulated accelerator
# with its own CXL Type-2 stack and the project's driver; the host bridge
# is given decoders by hdm_for_passthrough=on. The demo's checks, as TAP.
exec "$(dirname "$0")/../demo.sh" amd64 --hb-decoders --tap
