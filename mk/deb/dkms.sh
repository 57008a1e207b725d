#!/bin/sh
# mk/deb/dkms.sh OUTDIR VERSION: vfio-cxl-pci-dkms_VERSION_all.deb in
# OUTDIR, the host driver (contrib/vfio-cxl-pci) as DKMS builds it for each
# kernel a host has headers of (make deb).
# The package holds the module's sources (mk/kmod.sh vfio_cxl_pci files)
# and a dkms.conf in /usr/src/vfio-cxl-pci-VERSION/. Installing it adds the
# module to DKMS and builds and installs it for every kernel in
# /lib/modules/ with its build directory (Debian's linux-headers-*); DKMS's
# own hook builds it for kernels installed later. Removing it removes it
# from DKMS. It depends on dkms only: the headers of the kernel (for
# Debian's 7.3, linux-headers-7.3.4+deb13-amd64 or -arm64 from
# trixie-backports) are the operator's to install.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# = 2 ] || { echo "usage: $0 OUTDIR VERSION" >&2; exit 2; }
out=$1
version=$2
name=vfio-cxl-pci
module=vfio_cxl_pci
pkg=$name-dkms

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
srcdir="$tree/usr/src/$name-$version"
mkdir -p "$srcdir" "$tree/DEBIAN" "$tree/usr/share/doc/$pkg"
for f in $("$top/mk/kmod.sh" "$module" files); do
    cp "$f" "$srcdir/"
done
cp "$top/contrib/vfio-cxl-pci/README.rst" "$tree/usr/share/doc/$pkg/"

cat >"$srcdir/dkms.conf" <<CONF
PACKAGE_NAME="$name"
PACKAGE_VERSION="$version"
BUILT_MODULE_NAME[0]="$module"
DEST_MODULE_LOCATION[0]="/updates/dkms"
MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build modules"
CLEAN="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build clean"
AUTOINSTALL="yes"
CONF

cat >"$tree/DEBIAN/control" <<CTRL
Package: $pkg
Version: $version
Architecture: all
Section: kernel
Priority: optional
Maintainer: QEMU CXL Type-2 passthrough <cxl-type2@invalid>
Depends: dkms (>= 3)
Description: vfio-pci variant driver for CXL Type-2 passthrough (DKMS)
 vfio_cxl_pci gives QEMU's vfio-pci the vfio-cxl interface (v2, or v5
 with uapi=v5) for CXL Type-2 devices whose HDM decoder firmware
 committed, on Linux 7.3. Built by DKMS for each kernel with headers.
CTRL

cat >"$tree/DEBIAN/postinst" <<POST
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
    if ! dkms status -m $name -v $version | grep -q .; then
        dkms add -m $name -v $version
    fi
    for d in /lib/modules/*/build; do
        [ -e "\$d" ] || continue
        k=\${d#/lib/modules/}
        k=\${k%/build}
        if dkms build -m $name -v $version -k "\$k" &&
           dkms install -m $name -v $version -k "\$k" --force; then
            :
        else
            echo "$pkg: no $module for \$k: see /var/lib/dkms/$name/$version/build/make.log" >&2
        fi
    done
fi
POST

cat >"$tree/DEBIAN/prerm" <<PRERM
#!/bin/sh
set -e
if [ "\$1" = remove ] || [ "\$1" = upgrade ]; then
    dkms remove -m $name -v $version --all >/dev/null 2>&1 || true
fi
PRERM
chmod 0755 "$tree/DEBIAN/postinst" "$tree/DEBIAN/prerm"
chmod -R u+rwX,go+rX,go-w "$tree"
# The files' dates: the commit's, so that a rebuild makes the same package
when=$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)
find "$tree" -exec touch -h -d "@$when" {} +

mkdir -p "$out"
deb="$out/${pkg}_${version}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$tree" "$deb" >/dev/null
echo "$deb"
