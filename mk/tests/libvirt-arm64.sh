#!/bin/sh
# Debian's libvirt runs the demo's guest on aarch64 virt from the domain XML
# in docs/ (docs/system/devices/cxl-type2-demo.xml): the demo's checks, as
# TAP, then the domain is undefined and the daemon stopped.
exec "$(dirname "$0")/../demo.sh" arm64 --libvirt --tap
