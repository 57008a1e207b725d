#!/bin/sh
# Configure (when needed) and build QEMU out of tree in build/obj/, then link
# the programs into build/bin/. Extra ninja targets may be given as arguments.
# BUILD_NAME=obj-san with QEMU_CONFIGURE_EXTRA builds another configuration
# of the same assembled tree beside it (build/obj-san, build/bin-san).
# BUILD_TREE builds another tree the same way (make series-check, make
# check-debian): BUILD_NAME and BUILD_BIN then name its directories under
# build/, next to it so that ccache finds the same relative paths;
# BUILD_ALL=1 builds all of it instead of the programs.
# BUILD_CROSS=PREFIX configures for another host with that toolchain
# (PREFIXgcc, PREFIXpkg-config, ...: mk/nested-host/cross-qemu.sh, in its
# build root) and leaves mk/firmware.sh to the caller: the tree's firmware
# comes from the build machine's packages, and the data files an
# uninstalled QEMU looks up are the same for any host (build/obj's
# qemu-bundle). BUILD_PROGRAMS replaces mk/programs' further targets.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree="$top/build/${BUILD_TREE:-qemu}"
name=${BUILD_NAME:-obj}
obj="$top/build/$name"
bin="$top/build/${BUILD_BIN:-bin${name#obj}}"
targets=${TARGETS:-aarch64-softmmu,x86_64-softmmu}

cross=${BUILD_CROSS:-}
cc=${cross}gcc
if command -v ccache >/dev/null 2>&1; then
    # configure writes the compiler into meson's cross file, so meson never
    # adds ccache on its own: name it here.
    cc="ccache $cc"
    # Hash paths relative to the checkout, so that clones and worktrees at
    # other places share the cache.
    export CCACHE_BASEDIR="$top" CCACHE_NOHASHDIR=1
fi

# A host operator's build: both system emulators with their default devices
# (vfio-pci and vfio-user-pci among them), KVM where the host has it, and
# nothing else: no docs, user mode, tools or optional UI/backends.
set -- --target-list="$targets" \
    ${cross:+--cross-prefix="$cross"} \
    --cc="$cc" \
    --python=/usr/bin/python3 \
    --without-default-features \
    --enable-kvm --enable-tcg --enable-fdt=system \
    --disable-docs --disable-user --disable-tools \
    --disable-install-blobs \
    ${QEMU_CONFIGURE_EXTRA:-}

[ -n "$cross" ] || "$top/mk/firmware.sh" src "$tree"

args=$(printf '%s\n' "$@")
if [ ! -f "$obj/build.ninja" ] || [ "$(cat "$obj/configure.args" 2>/dev/null)" != "$args" ]; then
    echo "build: configuring QEMU in build/$name"
    rm -rf "$obj"
    mkdir -p "$obj"
    log="$obj.configure.log"
    (cd "$obj" && "$tree/configure" "$@") > "$log" 2>&1 || {
        tail -n 30 "$log" >&2
        echo "error: configure failed; full log in ${log#"$top"/}" >&2
        exit 1
    }
    printf '%s\n' "$args" > "$obj/configure.args"
fi

programs=""
for t in $(echo "$targets" | tr ',' ' '); do
    programs="$programs qemu-system-${t%-softmmu}"
done
# Further programs of ours (mk/programs: one ninja target a line).
if [ -n "${BUILD_PROGRAMS+set}" ]; then
    extra=$BUILD_PROGRAMS
else
    extra=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/mk/programs" 2>/dev/null || true)
fi

if [ -n "${BUILD_ALL:-}" ]; then
    # Everything the tree builds, and no links (make series-check)
    echo "build: ninja (all) in build/$name"
    exec ninja -C "$obj"
fi
echo "build: ninja $programs $extra ${NINJA_TARGETS:-}"
ninja -C "$obj" $programs $extra ${NINJA_TARGETS:-}

[ -n "$cross" ] || "$top/mk/firmware.sh" bundle "$obj"
mkdir -p "$bin"
for p in $programs $extra; do
    ln -sfn "$(realpath -m --relative-to="$bin" "$obj/$p")" "$bin/$(basename "$p")"
done
