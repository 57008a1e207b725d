# shellcheck shell=sh disable=SC2034
# What make deb's scripts (mk/deb/*.sh, mk/kroot/deb.sh) share. Sourced.
# The build profiles of the build (mk/deb/build.sh) and of its build roots
# (mk/kroot/deb.sh), which install the build dependencies they select:
#   nocheck                    no block tests (make check-debian runs ours)
#   pkg.qemu.omit-user         no qemu-user: a host runs system emulators
#   pkg.qemu.use-upstream-vdso the linux-user vDSOs as the tarball has them
#   pkg.qemu.cxl-hosts         aarch64 and x86_64 only (mk/deb/packaging.diff)
DEB_PROFILES='nocheck pkg.qemu.omit-user pkg.qemu.use-upstream-vdso pkg.qemu.cxl-hosts'
# The architectures make deb builds for; the build machine is amd64
DEB_ARCHES='amd64 arm64'

# deb_arch ARCH: ARCH if make deb builds for it, else a usage line and exit
deb_arch() {
    case " $DEB_ARCHES " in
    *" ${1:-} "*) echo "$1" ;;
    *) echo "usage: $0 ARCH (one of: $DEB_ARCHES)" >&2; exit 2 ;;
    esac
}
