#!/bin/sh
# cxl-decoders=guest under a Debian 6.12 guest on aarch64 virt: nothing of
# the device memory is mapped until the guest's init script commits the
# accelerator's HDM decoder 0 itself, as an OS would (Linux cannot do it
# for a Type-2 device yet); then the bytes go both ways through the window.
exec "$(dirname "$0")/../demo.sh" arm64 --kernel 6.12 --guest-decoders --tap
