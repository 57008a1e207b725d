#!/bin/sh
# Fails when a file of the repository is a copy, or a near copy, of the
# upstream QEMU file at the same path: changes to upstream files belong in
# patches/. Compares with the pristine base commit of build/qemu/.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tree="$top/build/qemu"

exec /usr/bin/python3 - "$top" "$tree" <<'PY'
import os, subprocess, sys, tempfile

top, tree = sys.argv[1], sys.argv[2]
THRESHOLD = 0.30    # share of our meaningful lines found in upstream's file


def meaningful(text):
    """Lines that say something: trivial ones ('}', '#endif') do not count."""
    return [l.strip() for l in text.splitlines() if len(l.strip()) >= 8]


def upstream(path):
    r = subprocess.run(["git", "-C", tree, "show", "base:" + path],
                       capture_output=True)
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None


def copies(repo):
    files = subprocess.run(["git", "-C", repo, "ls-files", "--cached",
                            "--others", "--exclude-standard"],
                           capture_output=True, text=True).stdout.split()
    found = []
    for f in files:
        theirs = upstream(f)
        if theirs is None:
            continue
        try:
            ours = meaningful(open(os.path.join(repo, f),
                                   encoding="utf-8", errors="replace").read())
        except (IsADirectoryError, FileNotFoundError):
            continue
        if not ours:
            continue
        theirs = set(meaningful(theirs))
        share = sum(1 for l in ours if l in theirs) / len(ours)
        if share >= THRESHOLD:
            found.append((f, share))
    return found


n = 0
def result(ok, what):
    global n
    n += 1
    print(("ok %d %s" if ok else "not ok %d %s") % (n, what))


# The detector itself: a scratch repository holding a near copy of an
# upstream file (one line changed) must be caught.
with tempfile.TemporaryDirectory() as scratch:
    sample = "hw/cxl/cxl-host.c"
    text = upstream(sample)
    os.makedirs(os.path.join(scratch, os.path.dirname(sample)))
    lines = text.splitlines()
    lines[10] = "/* changed */"
    open(os.path.join(scratch, sample), "w").write("\n".join(lines))
    subprocess.run(["git", "-C", scratch, "init", "-q"], check=True)
    result([f for f, _ in copies(scratch)] == [sample],
           "a near copy of %s is detected" % sample)

found = copies(top)
for f, share in found:
    print("# %s shares %d%% of its lines with upstream's %s: use a patch"
          % (f, share * 100, f))
result(not found, "no repository file copies the upstream file at its path")
print("1..%d" % n)
sys.exit(1 if found else 0)
PY
