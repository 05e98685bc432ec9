#!/usr/bin/env python3
"""Generates bip39_nfkd.json: BIP39 seeds of non-ASCII passphrases and mnemonics.

An implementation independent of jmnode's C++ code: Python's own hashlib.pbkdf2_hmac and
unicodedata.normalize("NFKD"), exactly as BIP39 defines the seed:
    seed = PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic" + NFKD(passphrase), 2048, 64 bytes)

Rows of one "group" are the same text in different Unicode forms (precomposed, decomposed,
compatibility characters): they must give the same seed, and the script checks that they do.
Before writing anything it also checks itself against published vectors: the first English
vector of bip39.json (passphrase "TREZOR") and every row of bip39_japanese.json (the BIP39
Japanese vectors, where both the words and the passphrase change under NFKD).

Usage: python3 bip39_nfkd.py > bip39_nfkd.json
"""
import hashlib
import json
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))


def seed(mnemonic: str, passphrase: str) -> str:
    m = unicodedata.normalize("NFKD", mnemonic).encode("utf-8")
    s = ("mnemonic" + unicodedata.normalize("NFKD", passphrase)).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha512", m, s, 2048, 64).hex()


def forms(text: str) -> list:
    out = []
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        t = unicodedata.normalize(form, text)
        if t not in out:
            out.append(t)
    return out


def self_check() -> None:
    with open(os.path.join(HERE, "bip39.json"), encoding="utf-8") as f:
        first = json.load(f)["vectors"][0]
    assert seed(first["mnemonic"], first["passphrase"]) == first["seed"], "bip39.json vector 0"
    path = os.path.join(HERE, "bip39_japanese.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for i, row in enumerate(json.load(f)["vectors"]):
                assert seed(row["mnemonic"], row["passphrase"]) == row["seed"], f"Japanese vector {i}"


ABOUT = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
LEGAL = "legal winner thank year wave sausage worth useful legal winner thank yellow"

# (group, note, mnemonic, [passphrase spellings])
GROUPS = [
    ("cafe", "e-acute precomposed (U+00E9) and as e + U+0301", ABOUT, ["caf\u00e9", "cafe\u0301"]),
    ("czech", "the python-mnemonic NFKD sentence in NFC, NFD, NFKC and NFKD", LEGAL,
     forms("P\u0159\u00ed\u0161ern\u011b \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148 \u00fap\u011bl \u010f\u00e1belsk\u00e9 \u00f3dy")),
    ("fullwidth", "fullwidth TREZOR (U+FF34 ...) is TREZOR under NFKD: the seed of bip39.json vector 0", ABOUT,
     ["\uff34\uff32\uff25\uff3a\uff2f\uff32", "TREZOR"]),
    ("ligature", "the fi ligature U+FB01 is 'fi' under NFKD", LEGAL, ["\ufb01nance", "finance"]),
    ("angstrom", "angstrom sign U+212B, A-ring U+00C5 and A + U+030A", ABOUT,
     ["\u212bngstr\u00f6m", "\u00c5ngstr\u00f6m", "A\u030angstro\u0308m"]),
    ("hangul", "Hangul syllables decompose to conjoining jamo under NFKD", LEGAL,
     ["\ube44\ubc00\ubc88\ud638", unicodedata.normalize("NFD", "\ube44\ubc00\ubc88\ud638")]),
    ("astral", "a character outside the BMP (4-byte UTF-8), unchanged by NFKD", ABOUT, ["\U0001F511 key"]),
    ("ideographic-space", "words separated by U+3000 and U+00A0 are separated by spaces under NFKD",
     None, []),
    ("fullwidth-words", "a mnemonic typed in fullwidth Latin letters is the plain mnemonic under NFKD", None, []),
]


def main() -> None:
    self_check()
    rows = []
    for group, note, mnemonic, passphrases in GROUPS:
        if group == "ideographic-space":
            cases = [(ABOUT.replace(" ", "\u3000"), "TREZOR"), (ABOUT.replace(" ", "\u00a0"), "TREZOR"),
                     (ABOUT, "TREZOR")]
        elif group == "fullwidth-words":
            full = "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in LEGAL)
            cases = [(full, "caf\u00e9"), (LEGAL, "cafe\u0301")]
        else:
            cases = [(mnemonic, p) for p in passphrases]
        seeds = {seed(m, p) for m, p in cases}
        assert len(seeds) == 1, f"group {group}: forms differ"
        for m, p in cases:
            rows.append({"group": group, "note": note, "mnemonic": m, "passphrase": p, "seed": seed(m, p)})
    # Known answer for the fullwidth group: it must be the published TREZOR seed.
    with open(os.path.join(HERE, "bip39.json"), encoding="utf-8") as f:
        trezor = json.load(f)["vectors"][0]["seed"]
    assert all(r["seed"] == trezor for r in rows if r["group"] in ("fullwidth", "ideographic-space"))
    out = {
        "source": "computed here by tests/data/vectors/bip39_nfkd.py (Python 3 hashlib.pbkdf2_hmac and "
                  "unicodedata.normalize('NFKD'), an implementation independent of jmnode); the script checks "
                  "itself against bip39.json vector 0 and bip39_japanese.json first",
        "description": "BIP39 seeds with non-ASCII passphrases and mnemonics: seed = PBKDF2-HMAC-SHA512("
                       "NFKD(mnemonic), \"mnemonic\" + NFKD(passphrase), 2048, 64). Strings are JSON-escaped "
                       "so the exact code points (precomposed or decomposed) are visible. Rows of one group "
                       "are the same text in different Unicode forms and share one seed.",
        "unicode_version": unicodedata.unidata_version,
        "vectors": rows,
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
