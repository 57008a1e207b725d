#!/bin/sh
# Firmware the build and the tests need that Debian's +ds tarball lacks,
# taken from Debian's packages (see `make deps`).
#   mk/firmware.sh src   TREE  -- pc-bios/edk2-*.fd.bz2 for meson to unpack
#   mk/firmware.sh bundle OBJ  -- ROMs an uninstalled QEMU looks up in qemu-bundle
set -eu

need() {
    if [ ! -f "$1" ]; then
        echo "error: $1 is missing: it comes from Debian's package $2." >&2
        echo "       Run 'make deps' (as root) to install it." >&2
        exit 1
    fi
}

case "$1" in
src)
    pcbios="$2/pc-bios"
    # The aarch64 virt flash banks must be 64 MiB, which Debian's AAVMF is.
    need /usr/share/AAVMF/AAVMF_CODE.fd qemu-efi-aarch64
    need /usr/share/AAVMF/AAVMF_VARS.fd qemu-efi-aarch64
    for pair in edk2-aarch64-code.fd:/usr/share/AAVMF/AAVMF_CODE.fd \
                edk2-arm-vars.fd:/usr/share/AAVMF/AAVMF_VARS.fd; do
        out="$pcbios/${pair%%:*}.bz2"
        in=${pair#*:}
        if [ ! -s "$out" ] || [ "$in" -nt "$out" ]; then
            bzip2 -c "$in" > "$out.tmp" && mv "$out.tmp" "$out"
        fi
    done
    # Images no test of ours boots; meson only needs the files to exist.
    for f in edk2-arm-code edk2-riscv-code edk2-riscv-vars edk2-i386-code \
             edk2-i386-secure-code edk2-i386-vars edk2-x86_64-code \
             edk2-x86_64-secure-code edk2-loongarch64-code \
             edk2-loongarch64-vars; do
        [ -f "$pcbios/$f.fd.bz2" ] || bzip2 -c < /dev/null > "$pcbios/$f.fd.bz2"
    done
    ;;
bundle)
    # An uninstalled QEMU finds its data files in OBJ/qemu-bundle/<datadir>.
    dir="$2/qemu-bundle/usr/local/share/qemu"
    mkdir -p "$dir"
    need /usr/lib/ipxe/qemu/efi-virtio.rom ipxe-qemu
    need /usr/lib/ipxe/qemu/efi-e1000e.rom ipxe-qemu
    need /usr/share/seabios/bios-256k.bin seabios
    ln -sf /usr/lib/ipxe/qemu/efi-virtio.rom "$dir/efi-virtio.rom"
    ln -sf /usr/lib/ipxe/qemu/efi-e1000e.rom "$dir/efi-e1000e.rom"
    for f in /usr/share/seabios/*.bin; do
        ln -sf "$f" "$dir/${f##*/}"
    done
    ;;
*)
    echo "usage: $0 src TREE | bundle OBJ" >&2
    exit 2
    ;;
esac
