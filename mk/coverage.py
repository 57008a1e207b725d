#!/usr/bin/env python3
"""make coverage's report: line and branch coverage of our C code.

    mk/coverage.py OBJ TREE OUT NAME

reads the gcov counters of the gcov build in OBJ (built from the assembled
tree TREE) with gcc's own gcov (JSON output, so nothing beyond gcc is
needed) and prints a line per part:

    coverage: hw/vfio/cxl*.c L % lines, B % branches
    coverage: contrib/vfio-user-cxl-accel/*.c L % lines, B % branches
    coverage: lines patches add to upstream files L % lines, B % branches

It writes OUT/NAME-files.txt (per file: lines, branches, the uncovered
line ranges) and OUT/NAME-blocks.txt (the uncovered blocks of more than
five lines in hw/vfio/cxl*.c, to write tests against).

A file built into several objects (both targets' libqemu, a unit test that
compiles cxl-hdm.c itself) counts once: a line is covered when any of its
objects ran it, and the same branch of each object adds up.

Copyright (c) 2026 QEMU CXL Type-2 team

SPDX-License-Identifier: GPL-2.0-or-later
"""

import fnmatch
import json
import os
import subprocess
import sys

CXL = "hw/vfio/cxl*.c"
EMULATOR = "contrib/vfio-user-cxl-accel/*.c"
PATCHES = "lines patches add to upstream files"
# Uncovered runs longer than this many source lines are listed as blocks
BLOCK = 5


def patch_lines(tree):
    """{file: set of line numbers} our patches add to upstream .c files.

    The series' cumulative diff against the fixed-up base, not each patch's
    own hunks: a later patch shifts the lines an earlier one added, and the
    counters are for the tree as a whole. Only files upstream has
    (--diff-filter=M: our own files are links, counted on their own) and
    not the tests (tests/qtest/bios-tables-test.c: test code, not code
    under test)."""
    diff = subprocess.run(
        ["git", "-C", tree, "diff", "-U0", "--no-color", "--no-ext-diff",
         "--no-renames", "--diff-filter=M", "fixups", "--", "*.c",
         ":(exclude)tests/"],
        check=True, capture_output=True, text=True).stdout
    added, path, n = {}, None, 0
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else None
        elif line.startswith("@@ "):
            # @@ -a[,b] +c[,d] @@: the hunk's new lines start at c
            n = int(line.split()[2][1:].split(",")[0])
        elif line.startswith("+") and path:
            added.setdefault(path, set()).add(n)
            n += 1
    return added


def sources(obj, wanted):
    """(source relative to the tree, .gcno) of every object compiled from a
    file wanted(source) accepts, from meson's compile database."""
    with open(os.path.join(obj, "compile_commands.json")) as f:
        entries = json.load(f)
    for e in entries:
        d = e["directory"]
        # meson names sources relative to the build directory (../qemu/...)
        # or, for files a test compiles itself, by absolute path.
        rel = os.path.relpath(os.path.normpath(os.path.join(d, e["file"])),
                              os.path.normpath(os.path.join(d, "..", "qemu")))
        if wanted(rel):
            out = os.path.join(d, e["output"])
            yield rel, os.path.splitext(out)[0] + ".gcno"


def gcov(obj, gcnos, wanted):
    """Merged counters: {file: {line: [count, function, {n: branches}]}}.

    Objects never run have no .gcda: gcov counts them as not executed,
    which is what they are."""
    files = {}
    gcnos = sorted(set(gcnos))
    for i in range(0, len(gcnos), 50):
        r = subprocess.run(["gcov", "--json-format", "--stdout",
                            "--branch-probabilities"] + gcnos[i:i + 50],
                           cwd=obj, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("coverage: gcov failed: " + r.stderr[-2000:])
        for doc in r.stdout.splitlines():
            doc = json.loads(doc)
            cwd = doc["current_working_directory"]
            for f in doc["files"]:
                path = os.path.normpath(os.path.join(cwd, f["file"]))
                rel = os.path.relpath(
                    path, os.path.normpath(os.path.join(cwd, "..", "qemu")))
                if rel.startswith(".."):
                    # gcc names a file linked into the tree (ours) by its
                    # target when the object was built from an absolute
                    # path (a unit test's meson.project_source_root()):
                    # the repository's path is the tree's
                    rel = os.path.relpath(
                        path, os.path.normpath(os.path.join(cwd, "..", "..")))
                if not wanted(rel):
                    continue  # a header's inline functions
                # A line's function_name is not always there (gcc leaves
                # it out on some lines): name lines from the functions'
                # extents, the innermost that holds them.
                funcs = sorted((fn["end_line"] - fn["start_line"],
                                fn["start_line"], fn["end_line"],
                                fn["demangled_name"])
                               for fn in f["functions"])
                lines = files.setdefault(rel, {})
                for ln in f["lines"]:
                    n = ln["line_number"]
                    name = next((fn[3] for fn in funcs
                                 if fn[1] <= n <= fn[2]),
                                ln.get("function_name", ""))
                    e = lines.setdefault(n, [0, name, {}])
                    e[0] += ln["count"]
                    br = ln["branches"]
                    if br:
                        # The same line of another object: the same branches
                        # when gcc made as many of them.
                        s = e[2].setdefault(len(br), [0] * len(br))
                        for k, b in enumerate(br):
                            s[k] += b["count"]
    return files


def tally(lines, only=None):
    """(lines hit, lines, branches taken, branches) over a file's lines
    (those of only, if given)."""
    lh = lt = bh = bt = 0
    for n, (count, _, branches) in lines.items():
        if only is not None and n not in only:
            continue
        lt += 1
        lh += count > 0
        for s in branches.values():
            bt += len(s)
            bh += sum(1 for c in s if c > 0)
    return lh, lt, bh, bt


def pct(a, b):
    return "%.1f" % (100.0 * a / b) if b else "n/a"


def runs(lines, only=None):
    """The uncovered runs of a file: (first, last, lines, function), a run
    being executable lines not run, with no run line between them, in one
    function (comments and blank lines do not break it). A line of no
    known function (a static function inlined everywhere: gcov lists no
    extent for it) is a run of its own."""
    out, cur = [], None
    for n in sorted(lines):
        if only is not None and n not in only:
            continue
        count, func, _ = lines[n]
        if count == 0 and cur and func and cur[3] == func:
            cur[1], cur[2] = n, cur[2] + 1
        elif count == 0:
            cur = [n, n, 1, func]
            out.append(cur)
        else:
            cur = None
    return out


def ranges(rs):
    return ", ".join("%d" % a if a == b else "%d-%d" % (a, b)
                     for a, b, _, _ in rs) or "none"


def main():
    obj, tree, out, name = sys.argv[1:5]
    added = patch_lines(tree)
    parts = [(CXL, lambda p: fnmatch.fnmatch(p, CXL)),
             (EMULATOR, lambda p: fnmatch.fnmatch(p, EMULATOR)),
             (PATCHES, lambda p: p in added)]

    def wanted(p):
        return any(w(p) for _, w in parts)

    objs = list(sources(obj, wanted))
    files = gcov(obj, [g for _, g in objs if os.path.exists(g)], wanted)

    summary, detail = [], []
    for part, w in parts:
        total = [0, 0, 0, 0]
        detail.append("== %s" % part)
        for p in sorted(set(added) if part == PATCHES else
                        set(r for r, _ in objs if w(r))):
            only = added[p] if part == PATCHES else None
            if p not in files:
                # s390x's files: no target of ours builds them
                detail.append("%-50s not built" % p)
                continue
            t = tally(files[p], only)
            total = [a + b for a, b in zip(total, t)]
            detail.append("%-50s %5s %% lines (%d/%d), %5s %% branches "
                          "(%d/%d)" % (p, pct(t[0], t[1]), t[0], t[1],
                                       pct(t[2], t[3]), t[2], t[3]))
            detail.append("    not run: %s" % ranges(runs(files[p], only)))
        summary.append("coverage: %s %s %% lines, %s %% branches" %
                       (part, pct(total[0], total[1]),
                        pct(total[2], total[3])))
        detail.append("")

    # A block is as long as it reads in the source: comments and blank
    # lines within count, as the reader adding a test sees them.
    blocks = []
    for p in sorted(f for f in files if fnmatch.fnmatch(f, CXL)):
        for a, b, n, func in runs(files[p]):
            if b - a + 1 > BLOCK:
                blocks.append("%s:%d-%d  %d lines (%d executable) not run, "
                              "in %s()" % (p, a, b, b - a + 1, n, func))

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, name + "-files.txt"), "w") as f:
        f.write("\n".join(summary + [""] + detail))
    with open(os.path.join(out, name + "-blocks.txt"), "w") as f:
        f.write("".join(b + "\n" for b in blocks))
    print("\n".join(summary))
    # Not "coverage:": those lines are one a part
    print("uncovered: %d blocks of more than %d lines in %s, listed in "
          "build/coverage/%s-blocks.txt" % (len(blocks), BLOCK, CXL, name))


if __name__ == "__main__":
    main()
