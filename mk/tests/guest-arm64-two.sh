#!/bin/sh
# Two accelerators on two root ports of one host bridge, one window, under
# Linux 7.3 on aarch64 virt: two memdevs, endpoints and regions, each
# driver instance reaching its own device. The demo's checks, as TAP.
exec "$(dirname "$0")/../demo.sh" arm64 --devices 2 --tap
