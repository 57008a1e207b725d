# The pinned upstream base. Sourced by the build scripts.
BASE_VERSION='1:10.2.2+ds-1'
BASE_TARBALL='qemu_10.2.2+ds.orig.tar.xz'
BASE_SHA256='be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb'
BASE_DIR='qemu-10.2.2'
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The guest kernel with Linux's CXL Type-2 driver API (trixie-backports),
# for the guest and for the modules built against its headers.
GUEST_KABI='7.3.4+deb13'
