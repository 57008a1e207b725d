#!/bin/sh
# Run a command with /dev/kvm hidden from it, so that tests which pick KVM
# whenever /dev/kvm is accessible run under TCG instead. Used on hosts whose
# KVM cannot run the tests (no SMM: the x86 ACPI tables then differ).
# Needs root for a private mount namespace; /dev is rebuilt there from
# bind mounts of every entry but kvm.
set -eu

if [ "$(id -u)" != 0 ]; then
    echo "without-kvm: not root, cannot hide /dev/kvm; running as is" >&2
    exec "$@"
fi

exec unshare --mount --propagation private sh -eu -c '
old=$(mktemp -d)
mount --rbind /dev "$old"
mount -t tmpfs -o mode=755 without-kvm /dev
for e in "$old"/* "$old"/.[!.]*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    n=${e##*/}
    [ "$n" = kvm ] && continue
    if [ -L "$e" ]; then
        cp -P "$e" "/dev/$n"
    elif [ -d "$e" ]; then
        mkdir "/dev/$n" && mount --rbind "$e" "/dev/$n"
    else
        : > "/dev/$n" && mount --bind "$e" "/dev/$n"
    fi
done
exec "$@"
' without-kvm "$@"
