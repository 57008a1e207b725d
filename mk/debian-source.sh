#!/bin/sh
# mk/debian-source.sh DIR: Debian's qemu source package of the pinned base
# with the upstream series (make series) in it, unpacked into DIR (made
# afresh), as a distribution that rebuilds QEMU with this work has it.
# The .dsc beside the pinned tarball in ../shared/upstream/ (or
# $DEBIAN_SOURCE_DIR), its checksums verified, is unpacked with
# dpkg-source -x, and the series is added to debian/patches as a quilt
# series after Debian's own patches, not applied (dpkg-source
# --before-build and dpkg-buildpackage apply them). Quilt carries no
# binary file: the expected ACPI tables (and bios-tables-test's empty
# placeholders of them) go into the tree and debian/source/include-binaries
# instead, as a packager would. Used by make check-debian and make deb.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# = 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
src=$1
. "$top/mk/pin.sh"
up=${DEBIAN_SOURCE_DIR:-$top/../shared/upstream}
version=${BASE_VERSION#*:}
dsc="$up/qemu_$version.dsc"

if [ ! -f "$dsc" ]; then
    echo "error: $dsc is missing: Debian's source package belongs beside" >&2
    echo "       the pinned tarball (or set DEBIAN_SOURCE_DIR)" >&2
    exit 1
fi
for f in "qemu_$version.dsc" "qemu_$version.debian.tar.xz" "$BASE_TARBALL"; do
    if ! (cd "$up" && grep " $f\$" SHA256SUMS | sha256sum -c --quiet -); then
        echo "error: $up/$f does not match its SHA256SUMS" >&2
        exit 1
    fi
done

"$top/mk/series.sh"

rm -rf "$src"
mkdir -p "$(dirname "$src")"
log="$src.dpkg-source.log"
echo "debian-source: dpkg-source -x ${dsc##*/}" >&2
dpkg-source -x "$dsc" "$src" > "$log" 2>&1 ||
    { tail -n 20 "$log" >&2; exit 1; }

# The series as quilt patches after Debian's; binary files apart
mkdir -p "$src/debian/patches/cxl-type2"
python3 - "$top" "$src" <<'PY'
import os, re, sys
top, src = sys.argv[1:]
series_dir = os.path.join(top, 'build', 'series')
binaries = []
with open(os.path.join(src, 'debian/patches/series'), 'a') as series:
    for name in sorted(os.listdir(series_dir)):
        if not re.match(r'\d{4}-', name) or name.startswith('0000-'):
            continue
        text = open(os.path.join(series_dir, name)).read()
        head, *files = re.split(r'^(?=diff --git )', text, flags=re.M)
        keep = []
        for f in files:
            path = re.match(r'diff --git a/(\S+)', f).group(1)
            # binary, or bios-tables-test's empty placeholder of one
            if 'GIT binary patch' in f or path.startswith('tests/data/acpi/'):
                if path not in binaries:
                    binaries.append(path)
            else:
                keep.append(f)
        open(os.path.join(src, 'debian/patches/cxl-type2', name),
             'w').write(head + ''.join(keep))
        series.write('cxl-type2/%s\n' % name)
with open(os.path.join(src, 'debian/source/include-binaries'), 'a') as inc:
    for b in binaries:
        os.makedirs(os.path.dirname(os.path.join(src, b)), exist_ok=True)
        with open(os.path.join(top, b), 'rb') as i, \
             open(os.path.join(src, b), 'wb') as o:
            o.write(i.read())
        inc.write(b + '\n')
PY
