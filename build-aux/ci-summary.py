#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts TAP subtests in meson's testlog.json files and prints 'N passed, N failed'.

A test executable that failed without reporting a failing subtest (a crash, a timeout, a
sanitizer report at exit) counts as one failure more.  Exits 1 when anything failed."""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as log:
        for line in log:
            entry = json.loads(line)
            out = entry.get("stdout") or ""
            ok = len(re.findall(r"^ok \d+(?! # SKIP)", out, re.M))
            skip = len(re.findall(r"^ok \d+.* # SKIP", out, re.M | re.I))
            bad = len(re.findall(r"^not ok \d+", out, re.M))
            if entry.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and bad == 0:
                bad = 1
                print(f"failed: {entry.get('name')} ({entry.get('result')})")
            passed += ok
            skipped += skip
            failed += bad
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
