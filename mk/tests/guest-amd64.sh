#!/bin/sh
# A Debian amd64 guest on x86_64 q35 uses the passed-through emulated accelerator:
# the demo's checks, as TAP.
exec "$(dirname "$0")/../demo.sh" amd64 --tap
