#!/bin/sh
# What a user of Debian trixie's own kernel (6.12) gets on x86_64 q35: the
# CXL topology, and device memory through /dev/mem. The demo's checks, as
# TAP.
exec "$(dirname "$0")/../demo.sh" amd64 --kernel 6.12 --tap
