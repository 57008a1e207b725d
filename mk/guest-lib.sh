# Shared pieces of the scripts that boot the Linux guest (mk/demo.sh,
# mk/bench.sh). Sourced; needs $top, and $guest (the directory mk/guest.sh
# prints) for guest_run. Functions:
#   guest_setup ARCH WORK     -- sets qemu, machine, console and the UEFI
#                                images (vars copied into WORK)
#   accel_start SOCKET SIZE FILE LOG -- starts the emulated accelerator (its
#                                memory in FILE, or a memfd if FILE is "") and
#                                waits for its socket; accel_stop_all ends
#                                every one started so far
#   guest_run INITRD APPEND QEMU-ARGS... -- boots the guest under TCG with
#                                UEFI and ACPI; the console goes to stdout.
#                                GUEST_SERIAL: the serial port's backend
#                                (stdio); GUEST_WRAP: what runs QEMU
#                                (timeout $GUEST_TIMEOUT; "exec" for a
#                                subshell that is to become QEMU); GUEST_MEM: its
#                                RAM (2G); GUEST_CPU: its -cpu (max)
#   accel_device ID BUS SOCKET [MEMBERS] -- the -device JSON of a
#                                vfio-user-pci (MEMBERS: ',"cxl":"off"'...)

# How long the accelerator may take to create its socket, in 0.1 s steps.
ACCEL_START_TRIES=100
# A guest that has not powered off by then is stuck.
GUEST_TIMEOUT=300

accel_pids=""

guest_setup() { # ARCH WORK
    case "$1" in
    arm64)
        set -- "$2" qemu-system-aarch64 virt ttyAMA0 \
            /usr/share/AAVMF/AAVMF_CODE.fd /usr/share/AAVMF/AAVMF_VARS.fd ;;
    amd64)
        set -- "$2" qemu-system-x86_64 q35 ttyS0 \
            /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd ;;
    esac
    qemu="$top/build/bin/$2" machine="$3,cxl=on" console=$4 code=$5
    vars="$1/vars.fd" vars_template=$6
    cp "$6" "$vars"
}

# ACCEL_ARGS: more options for every accelerator (word-split)
accel_start() { # SOCKET SIZE FILE LOG   (FILE "": an anonymous memfd)
    # shellcheck disable=SC2086
    "$top/build/bin/vfio-user-cxl-accel" --socket "$1" --mem-size "$2" \
        ${3:+--mem-file "$3"} ${ACCEL_ARGS:-} > "$4" 2>&1 &
    accel_pid=$!
    accel_pids="$accel_pids $accel_pid"
    _n=0
    until [ -S "$1" ]; do
        _n=$((_n + 1))
        if [ $_n -gt $ACCEL_START_TRIES ] || ! kill -0 $accel_pid 2>/dev/null; then
            cat "$4" >&2
            echo "error: the accelerator did not start" >&2
            return 1
        fi
        sleep 0.1
    done
}

accel_stop_all() {
    for _p in $accel_pids; do
        kill "$_p" 2>/dev/null || true
    done
    for _p in $accel_pids; do
        wait "$_p" 2>/dev/null || true
    done
    accel_pids=""
}

accel_device() { # ID BUS SOCKET [MORE-JSON-MEMBERS]
    printf '{"driver":"vfio-user-pci","id":"%s","bus":"%s","socket":{"type":"unix","path":"%s"}%s}' \
        "$1" "$2" "$3" "${4:-}"
}

guest_run() { # INITRD APPEND QEMU-ARGS...
    _initrd=$1 _append=$2
    shift 2
    ${GUEST_WRAP-timeout $GUEST_TIMEOUT} "$qemu" \
        -accel tcg -cpu "${GUEST_CPU:-max}" -smp 2 -m "${GUEST_MEM:-2G}" -nographic -nodefaults \
        -serial "${GUEST_SERIAL:-stdio}" \
        -drive if=pflash,format=raw,readonly=on,file="$code" \
        -drive if=pflash,format=raw,file="$vars" \
        -kernel "$guest/vmlinuz" -initrd "$_initrd" \
        -append "console=$console quiet iomem=relaxed $_append" "$@"
}
