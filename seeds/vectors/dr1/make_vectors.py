#!/usr/bin/env python3
"""Rebuilds the hand-made dr1 test vectors of this directory from `.inputs/NAME/` with the
`dualdraw` CLI: prepare (offline, --from), run, reveal, verify. Python standard library only.

`draw prepare` draws a fresh secret; to make the vectors reproducible this script replaces it,
before the run, by SHA-256("dualdraw dr1 test vector " ‖ NAME) and rewrites `secret_commitment`
(docs/draw-protocol.md §5) and the manifest to match. Run from the repository root:

    cargo build && python3 seeds/vectors/dr1/make_vectors.py target/debug/dualdraw [NAME…]

The bundle NAME/ and NAME.expected (the output of `dualdraw verify`) are rewritten; nothing
changes if the method and the inputs did not (tests/vectors_dr1.rs checks the facts each
vector exists for).
"""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Made-up values of future draws: test vectors, not real results.
SOURCES = ["lottery:福彩3D:2027001:2027-01-04", "lottery:体彩排列5:27001:2027-01-04"]
ENTROPY = ["3 7 1", "2 5 8 1 0"]
VECTORS = ["conflicts-last-team", "exclusion-window", "quotas-filters", "monthly-periods"]


def canonical(value):
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode()


def sh(*args):
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout


def fix_secret(bundle, name):
    secret = hashlib.sha256(f"dualdraw dr1 test vector {name}".encode()).digest()
    c = json.loads((bundle / "commitment.json").read_text())
    c["secret_commitment"] = hashlib.sha256(b"dualdraw-dr1-secret\x00" + secret).hexdigest()
    data = canonical(c)
    (bundle / "commitment.json").write_bytes(data)
    m = json.loads((bundle / "manifest.json").read_text())
    m["files"]["commitment.json"] = m["commitment_sha256"] = hashlib.sha256(data).hexdigest()
    (bundle / "manifest.json").write_bytes(canonical(m))
    secret_path = Path(str(bundle) + ".secret")
    secret_path.write_text(secret.hex() + "\n")
    return secret_path


def make(dualdraw, name):
    bundle = HERE / name
    if bundle.exists():
        shutil.rmtree(bundle)
    sources = [a for s in SOURCES for a in ("--source", s)]
    sh(dualdraw, "draw", "prepare", "--from", str(HERE / ".inputs" / name), "--out", str(bundle),
       "--batch", name, *sources)
    secret_path = fix_secret(bundle, name)
    entropy = [a for e in ENTROPY for a in ("--entropy", e)]
    sh(dualdraw, "draw", "run", str(bundle), *entropy)
    sh(dualdraw, "draw", "reveal", str(bundle))
    secret_path.unlink()
    summary = sh(dualdraw, "verify", str(bundle))
    (HERE / f"{name}.expected").write_text(summary)
    print(f"{name}: {summary}", end="")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    for name in argv[2:] or VECTORS:
        make(argv[1], name)


if __name__ == "__main__":
    main(sys.argv)
