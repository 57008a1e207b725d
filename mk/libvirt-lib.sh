# The demo's guest through libvirt (sourced by mk/demo.sh --libvirt).
# A private libvirtd of Debian's libvirt, in session mode as the
# unprivileged user nobody (root's libvirtd would be the system one), with
# its sockets, configuration and logs in a directory of its own under /tmp
# (a UNIX socket path has at most 107 bytes; a build directory can be deep).
# Its logs are copied into the demo's work directory when it stops.
#   libvirt_start WORK      -- starts the daemon; libvirt_stop ends it and
#                              whatever domain it still runs
#   libvirt_run XML KERNEL INITRD APPEND SOCKET
#                           -- defines the domain from the template XML
#                              (docs/system/devices/cxl-type2-demo.xml),
#                              starts it, waits until the guest powered off,
#                              undefines it and prints its serial console
LIBVIRT_USER=65534
LIBVIRT_DOMAIN=cxl-type2-demo
libvirtd_pid=""

# The private session's environment (lv_home is a mktemp path: no spaces)
lv_env() {
    echo "HOME=$lv_home XDG_RUNTIME_DIR=$lv_home/run" \
         "XDG_CONFIG_HOME=$lv_home/config XDG_CACHE_HOME=$lv_home/cache" \
         "XDG_DATA_HOME=$lv_home/data"
}

lv() { # COMMAND...: as the libvirt user, in the private session
    # shellcheck disable=SC2046
    setpriv --reuid=$LIBVIRT_USER --regid=$LIBVIRT_USER --clear-groups \
        env $(lv_env) "$@"
}

virsh_s() { lv virsh -q -c qemu:///session "$@"; }

libvirt_start() { # WORK
    if ! command -v libvirtd > /dev/null || ! command -v virsh > /dev/null; then
        echo "error: libvirt is not installed (mk/deps.sh installs it)" >&2
        return 1
    fi
    lv_home=$(mktemp -d /tmp/cxl-libvirt.XXXXXX)
    chown -R $LIBVIRT_USER "$1" "$lv_home"
    lv mkdir -m 700 -p "$lv_home/run"
    # Not through lv(), whose "&" would fork a subshell: setpriv and env
    # exec, so $! is libvirtd's own pid
    # shellcheck disable=SC2046
    setpriv --reuid=$LIBVIRT_USER --regid=$LIBVIRT_USER --clear-groups \
        env $(lv_env) libvirtd --timeout 0 \
        < /dev/null > "$lv_home/libvirtd.log" 2>&1 &
    libvirtd_pid=$!
    _n=0
    until virsh_s list --all > /dev/null 2>&1; do
        _n=$((_n + 1))
        if [ $_n -gt 100 ] || ! kill -0 $libvirtd_pid 2>/dev/null; then
            cat "$lv_home/libvirtd.log" >&2
            echo "error: libvirtd did not start" >&2
            return 1
        fi
        sleep 0.1
    done
}

libvirt_stop() {
    if [ -n "$libvirtd_pid" ]; then
        virsh_s destroy $LIBVIRT_DOMAIN > /dev/null 2>&1 || true
        virsh_s undefine --nvram $LIBVIRT_DOMAIN > /dev/null 2>&1 || true
        kill $libvirtd_pid 2>/dev/null || true
        wait $libvirtd_pid 2>/dev/null || true
        libvirtd_pid=""
    fi
    if [ -n "${lv_home:-}" ]; then
        cp "$lv_home/libvirtd.log" "$work/libvirtd.log" 2>/dev/null || true
        rm -rf "$lv_home"
        lv_home=""
    fi
}

# Template substitution: none of the values contains '|'
libvirt_domain_xml() { # XML KERNEL INITRD APPEND SOCKET
    sed -e "s|@QEMU@|$(readlink -f "$qemu")|g" -e "s|@CODE@|$code|g" \
        -e "s|@VARS@|$vars_template|g" -e "s|@WORK@|$work|g" \
        -e "s|@KERNEL@|$2|g" -e "s|@INITRD@|$3|g" \
        -e "s|@APPEND@|console=$console quiet iomem=relaxed $4|g" \
        -e "s|@SOCKET@|$5|g" "$1"
}

libvirt_run() { # XML KERNEL INITRD APPEND SOCKET
    libvirt_domain_xml "$@" > "$work/domain.xml"
    chmod o+rw "$5"         # the emulator's socket: QEMU runs as the user
    virsh_s define "$work/domain.xml" > /dev/null
    if ! virsh_s start $LIBVIRT_DOMAIN > "$work/virsh-start.log" 2>&1; then
        cat "$work/virsh-start.log" \
            "$lv_home/cache/libvirt/qemu/log/$LIBVIRT_DOMAIN.log" >&2 || true
        echo "qemu-system: libvirt could not start the domain:" \
             "$(tail -n1 "$work/virsh-start.log")" >&2
        return 0
    fi
    _n=0
    while [ "$(virsh_s domstate $LIBVIRT_DOMAIN 2>/dev/null)" = running ]; do
        _n=$((_n + 1))
        if [ $_n -gt $((GUEST_TIMEOUT * 2)) ]; then
            echo "qemu-system: the guest did not power off in $GUEST_TIMEOUT s" >&2
            virsh_s destroy $LIBVIRT_DOMAIN > /dev/null 2>&1 || true
            break
        fi
        sleep 0.5
    done
    cp "$lv_home/cache/libvirt/qemu/log/$LIBVIRT_DOMAIN.log" "$work/libvirt-qemu.log" 2>/dev/null || true
    virsh_s undefine --nvram $LIBVIRT_DOMAIN > /dev/null
    cat "$work/serial.log"
}
