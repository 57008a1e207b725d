# The pinned upstream base. Sourced by the build scripts.
BASE_VERSION='1:10.2.2+ds-1'
BASE_TARBALL='qemu_10.2.2+ds.orig.tar.xz'
BASE_SHA256='be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb'
BASE_DIR='qemu-10.2.2'
# The Debian archive: $DEBIAN_MIRROR, else the one this machine's apt takes
# bookworm's main component from (debian_mirror below).
# The guest kernel with Linux's CXL Type-2 driver API (trixie-backports),
# for the guest and for the modules built against its headers.
GUEST_KABI='7.3.4+deb13'

# apt_bookworm_uri DIR: the URI of the first "deb" source in DIR (an apt
# configuration directory: DIR/sources.list, then DIR/sources.list.d/*.list
# and the deb822 DIR/sources.list.d/*.sources by name, as apt reads them)
# that serves the suite bookworm with the component main; nothing if none.
apt_bookworm_uri() { # DIR
    for _f in "$1/sources.list" "$1"/sources.list.d/*; do
        [ -f "$_f" ] || continue
        case "$_f" in
        *.list|*.sources) ;;
        *) continue ;;
        esac
        case "$_f" in
        *.sources)
            # Stanzas of "Field: value" (continued on indented lines),
            # separated by blank lines; "Enabled: no" turns one off.
            awk 'function flush() {
                     if (f["types"] ~ / deb / && f["suites"] ~ / bookworm / &&
                         f["components"] ~ / main / && f["enabled"] !~ / no /) {
                         split(f["uris"], u, " ")
                         if (u[1] != "") { print u[1]; found = 1; exit }
                     }
                     split("", f)
                 }
                 /^#/ { next }
                 /^[ \t]*$/ { flush(); next }
                 /^[ \t]/ { if (k != "") f[k] = f[k] $0 " "; next }
                 { i = index($0, ":"); if (!i) next
                   k = tolower(substr($0, 1, i - 1))
                   f[k] = " " substr($0, i + 1) " " }
                 END { if (!found) flush() }' "$_f" 
            ;;
        *)
            # deb [ OPTIONS ] URI SUITE COMPONENT...
            awk '{ sub(/#.*/, "") }
                 $1 != "deb" { next }
                 { sub(/^[ \t]*deb[ \t]+/, "")
                   if (substr($0, 1, 1) == "[") {
                       i = index($0, "]"); if (!i) next
                       $0 = substr($0, i + 1)
                   }
                   if ($2 != "bookworm") next
                   for (i = 3; i <= NF; i++)
                       if ($i == "main") { print $1; exit } }' "$_f"
            ;;
        esac
    done | sed -n '/^cdrom:/d; /./{s|/*$||; p; q}'
}

# debian_mirror: $DEBIAN_MIRROR, else the archive of apt_bookworm_uri in
# $APT_ETC_DIR (/etc/apt); fails, saying so, when there is none. The guest
# and build-root scripts fetch trixie packages from the same archive.
debian_mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then
        echo "$DEBIAN_MIRROR"
        return 0
    fi
    _m=$(apt_bookworm_uri "${APT_ETC_DIR:-/etc/apt}")
    if [ -z "$_m" ]; then
        echo "error: no apt source in ${APT_ETC_DIR:-/etc/apt} serves Debian bookworm main;" >&2
        echo "       set DEBIAN_MIRROR to the URI of a Debian archive" >&2
        return 1
    fi
    echo "$_m"
}
