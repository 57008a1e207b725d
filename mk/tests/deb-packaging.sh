#!/bin/sh
# make deb's packaging, without building it: mk/deb/packaging.diff applies
# to Debian's debian/ of the pinned base; with make deb's profiles
# (mk/deb/settings.sh) Debian's own tools (Dpkg::BuildProfiles, Dpkg::Deps,
# make on debian/rules) select exactly the packages, build dependencies,
# targets and firmware of a CXL Type-2 host, and without pkg.qemu.cxl-hosts
# the selection is Debian's; the DKMS package of the host driver
# (mk/deb/dkms.sh) holds the module's sources and a dkms.conf that names
# it. As TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/mk/pin.sh"
. "$top/mk/deb/settings.sh"
tap=1 check_prefix=deb-packaging
. "$top/mk/tap-lib.sh"

up=${DEBIAN_SOURCE_DIR:-$top/../shared/upstream}
tar="$up/qemu_${BASE_VERSION#*:}.debian.tar.xz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/a" "$work/b"
tar -xJf "$tar" -C "$work/a"
tar -xJf "$tar" -C "$work/b"
check "mk/deb/packaging.diff applies to Debian's debian/ of $BASE_VERSION" \
    patch -s -d "$work/b" -p1 -i "$top/mk/deb/packaging.diff"

ours=$DEB_PROFILES
# Debian's own profiles for the same build, ours left out
theirs=$(echo "$DEB_PROFILES" | tr ' ' '\n' | grep -v '^pkg.qemu.cxl-hosts$' | tr '\n' ' ')

# The binary packages debian/control builds for ARCH with PROFILES
packages() { # DIR ARCH PROFILES
    perl -MDpkg::BuildProfiles=parse_build_profiles,evaluate_restriction_formula \
         -MDpkg::Arch=debarch_is -e '
        my ($file, $arch, @profiles) = @ARGV;
        local $/ = ""; open(my $f, "<", $file) or die;
        my @out;
        while (my $s = <$f>) {
            $s =~ s/^#.*\n//mg;
            next unless $s =~ /^Package:\s*(\S+)/m; my $p = $1;
            my ($a) = $s =~ /^Architecture:\s*(.+)$/m;
            next unless grep { $_ eq "all" || debarch_is($arch, $_) } split " ", $a;
            if ($s =~ /^Build-Profiles:\s*(.+)$/m) {
                next unless evaluate_restriction_formula(
                    [parse_build_profiles($1)], \@profiles);
            }
            push @out, $p;
        }
        print join(" ", sort @out), "\n";' "$1/debian/control" "$2" $3
}
# The build dependencies (Build-Depends, -Arch and -Indep) for ARCH
build_deps() { # DIR ARCH PROFILES
    perl -MDpkg::Deps=deps_parse -MDpkg::Control::Info -e '
        my ($file, $arch, @profiles) = @ARGV;
        my $src = Dpkg::Control::Info->new($file)->get_source();
        my @all;
        for my $f ("Build-Depends", "Build-Depends-Arch", "Build-Depends-Indep") {
            next unless defined $src->{$f};
            my $d = deps_parse($src->{$f}, build_dep => 1, reduce_profiles => 1,
                               build_profiles => \@profiles, reduce_arch => 1,
                               host_arch => $arch, build_arch => "amd64");
            push @all, map { (split /[ :]/, $_)[0] } split /,\s*/, "$d";
        }
        print join(" ", sort @all), "\n";' "$1/debian/control" "$2" $3
}

HOST='qemu-block-extra qemu-guest-agent qemu-system-arm qemu-system-common
qemu-system-data qemu-system-gui qemu-system-modules-opengl
qemu-system-modules-spice qemu-system-x86 qemu-utils'
host=$(echo $HOST)
for arch in $DEB_ARCHES; do
    got=$(packages "$work/b" "$arch" "$ours")
    check "$arch with $ours: the packages are ours ($got)" [ "$got" = "$host" ]
    echo "# want: $host"
    check "$arch without pkg.qemu.cxl-hosts: the packages are Debian's" \
        [ "$(packages "$work/b" "$arch" "$theirs")" = \
          "$(packages "$work/a" "$arch" "$theirs")" ]
done

deps=$(build_deps "$work/b" amd64 "$ours")
other=$(echo "$deps" | tr ' ' '\n' |
        grep -E '^gcc-(alpha|hppa|hppa64|powerpc|powerpc64|s390x|sparc64|riscv64|arm|aarch64)-linux' |
        tr '\n' ' ')
check "the build needs no other target's firmware compiler: ${other:-none}" [ -z "$other" ]
for d in gcc-i686-linux-gnu gcc-x86-64-linux-gnu device-tree-compiler; do
    check "the x86 option ROMs and dtbs still get $d" \
        sh -c 'echo " $1 " | grep -q " $2 "' sh "$deps" "$d"
done
check "without pkg.qemu.cxl-hosts the build dependencies are Debian's" \
    [ "$(build_deps "$work/b" amd64 "$theirs")" = "$(build_deps "$work/a" amd64 "$theirs")" ]

# debian/rules and control.mk, read by make as dpkg-buildpackage does
rules_vars() { # DIR PROFILES PACKAGES: configure options; firmware; builds
    cat >"$1/print.mk" <<'MK'
include debian/rules
cxl-print:
	@echo 'configure: ${QEMU_CONFIGURE_OPTIONS}'
	@echo 'sysdata: $(sort ${sysdata-components})'
	@echo 'builds: $(sort ${qemu-builds})'
	@echo 'system: ${system-packages} | ${system-archlist-arm} | ${system-archlist-x86}'
MK
    # BUILD_PACKAGES: what dh_listpackages would say
    (cd "$1" && DEB_BUILD_PROFILES="$2" DEB_HOST_ARCH=amd64 \
        make -s -f print.mk BUILD_PACKAGES="$3" cxl-print 2>/dev/null)
}
mkdir -p "$work/b-tree" "$work/a-tree"
for t in a b; do
    cp -r "$work/$t/debian" "$work/$t-tree/"
    # control.mk checks the upstream version's file lists
    mkdir -p "$work/$t-tree/configs/targets" "$work/$t-tree/linux-user"
done
vars=$(rules_vars "$work/b-tree" "$ours" "$host")
echo "$vars" | sed 's/^/# /'
check "configure builds aarch64-softmmu and x86_64-softmmu only" \
    sh -c 'echo "$1" | grep -qx "configure: --target-list=aarch64-softmmu,x86_64-softmmu"' sh "$vars"
check "qemu-system-arm gets aarch64, qemu-system-x86 x86_64" \
    sh -c 'echo "$1" | grep -qx "system: arm x86 | aarch64 | x86_64"' sh "$vars"
check "the firmware is the x86 option ROMs, misc and html" \
    sh -c 'echo "$1" | grep -qx "sysdata: html misc x86-optionrom"' sh "$vars"
check "no microvm build" \
    sh -c '! echo "$1" | grep "^builds:" | grep -qw microvm' sh "$vars"
debian=$(packages "$work/a" amd64 "$theirs")
theirs_vars=$(rules_vars "$work/a-tree" "$theirs" "$debian")
check "without pkg.qemu.cxl-hosts debian/rules reads as Debian's" \
    [ "$(rules_vars "$work/b-tree" "$theirs" "$debian")" = "$theirs_vars" ]
echo "$theirs_vars" | sed 's/^/# Debian'"'"'s: /'

# The DKMS package
deb=$("$top/mk/deb/dkms.sh" "$work/dkms" 1.0+cxltest 2>&1)
check "mk/deb/dkms.sh builds vfio-cxl-pci-dkms" [ -f "$deb" ]
dpkg-deb -R "$deb" "$work/dkms/x" 2>/dev/null
d="$work/dkms/x/usr/src/vfio-cxl-pci-1.0+cxltest"
missing=
for f in $("$top/mk/kmod.sh" vfio_cxl_pci files); do
    cmp -s "$f" "$d/${f##*/}" || missing="$missing ${f##*/}"
done
check "it holds the module's sources:${missing:- all}" [ -z "$missing" ]
check "its dkms.conf names vfio-cxl-pci 1.0+cxltest and builds vfio_cxl_pci" \
    sh -c 'grep -qx "PACKAGE_VERSION=\"1.0+cxltest\"" "$1" &&
           grep -qx "BUILT_MODULE_NAME\[0\]=\"vfio_cxl_pci\"" "$1"' sh "$d/dkms.conf"
check "it depends on dkms, its maintainer scripts parse" \
    sh -c '[ "$(dpkg-deb -f "$1" Depends)" = "dkms (>= 3)" ] &&
           sh -n "$2/DEBIAN/postinst" && sh -n "$2/DEBIAN/prerm"' sh "$deb" "$work/dkms/x"

echo "1..$check_n"
[ "$check_failed" = 0 ]
