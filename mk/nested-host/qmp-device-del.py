#!/usr/bin/env python3
"""device_del on the outer QEMU's QMP monitor, for the fuzzer's unplug in
`make check-host` (mk/check-host.sh runs this when the nested host asks):
    qmp-device-del.py SOCKET ID
Prints "device_del ID: ok" (or the error) and "DEVICE_DELETED ID" once
QEMU says the device is gone (waits up to 120 s: the nested host plays
pciehp and powers the slot off, which completes the unplug)."""
import json
import socket
import sys
import time


def main():
    path, dev = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rw")

    def send(cmd, **args):
        f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        f.flush()

    def events_until_return():
        while True:
            line = f.readline()
            if not line:
                raise EOFError("QMP closed")
            msg = json.loads(line)
            if "event" in msg:
                yield msg
            elif "return" in msg or "error" in msg:
                yield msg
                return

    json.loads(f.readline())  # greeting
    send("qmp_capabilities")
    for m in events_until_return():
        pass
    send("device_del", id=dev)
    deleted = False
    for m in events_until_return():
        if m.get("event") == "DEVICE_DELETED" and m["data"].get("device") == dev:
            deleted = True
        elif "return" in m:
            print("device_del %s: ok" % dev, flush=True)
        elif "error" in m:
            print("device_del %s: %s" % (dev, m["error"].get("desc")), flush=True)
            return 1
    s.settimeout(120)
    end = time.time() + 120
    while not deleted and time.time() < end:
        try:
            line = f.readline()
        except socket.timeout:
            break
        if not line:
            break
        m = json.loads(line)
        if m.get("event") == "DEVICE_DELETED" and m["data"].get("device") == dev:
            deleted = True
    if deleted:
        print("DEVICE_DELETED %s" % dev, flush=True)
        return 0
    print("no DEVICE_DELETED for %s in 120 s" % dev, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
