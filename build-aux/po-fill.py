#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fills empty msgstr entries of a .po file from a Python dict of translations.

Usage: po-fill.py PO_FILE TRANSLATIONS.py   (the .py defines T = {msgid: msgstr})
A developer's helper for keeping zh_CN complete; it never overwrites a translation."""
import re
import sys


def unquote(lines):
    return "".join(eval(l) for l in lines)  # noqa: S307 - po string literals are C-like


def quote(text):
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    if "\\n" in out[:-2]:
        parts = out.split("\\n")
        pieces = [p + "\\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        return 'msgstr ""\n' + "\n".join('"%s"' % p for p in pieces) + "\n"
    return 'msgstr "%s"\n' % out


def main():
    po, table = sys.argv[1], sys.argv[2]
    scope = {}
    exec(open(table, encoding="utf-8").read(), scope)
    translations = scope["T"]
    text = open(po, encoding="utf-8").read()
    entries = text.split("\n\n")
    missing = []
    for i, entry in enumerate(entries):
        m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', entry + "\n", re.M)
        if not m or "msgid_plural" in entry:
            continue
        msgid = unquote(m.group(1).strip().split("\n"))
        msgstr = unquote(m.group(2).strip().split("\n"))
        if not msgid or msgstr:
            continue
        if msgid in translations:
            head = entry[: m.start(2) - len("msgstr ")]
            entries[i] = head + quote(translations[msgid]).rstrip("\n")
        else:
            missing.append(msgid)
    open(po, "w", encoding="utf-8").write("\n\n".join(entries))
    for msgid in missing:
        print("untranslated:", repr(msgid))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
