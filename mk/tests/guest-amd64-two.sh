#!/bin/sh
# Two accelerators on two root ports of one host bridge, one window, under
# Linux 7.3 on x86_64 q35. The demo's checks, as TAP.
exec "$(dirname "$0")/../demo.sh" amd64 --devices 2 --tap
