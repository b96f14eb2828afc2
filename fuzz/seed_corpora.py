#!/usr/bin/env python3
"""Seeds fuzz/corpus/TARGET/ from seeds/ and tests/fixtures (docs/fuzzing.md, "Corpora").

Files are cut to their first lines so that the fuzzer works on small inputs; run once, then
`cargo fuzz cmin` keeps what adds coverage. Run from the repository root."""
import json, os, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"
# Kind::ALL order in src/import/mod.rs.
KINDS = ["departments", "enterprises", "items", "inspectors", "conflicts", "credit-records"]
DR1_FILES = ["policy.csv", "population.csv", "items.csv", "inspectors.csv", "conflicts.csv",
             "history.csv", "tasks.csv"]


def head(data: bytes, lines: int) -> bytes:
    return b"".join(data.splitlines(keepends=True)[:lines])


def put(target: str, name: str, data: bytes) -> None:
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def import_csv():
    for path in sorted((ROOT / "tests/fixtures").glob("*.csv")) + sorted((ROOT / "seeds/demo").glob("*.csv")):
        stem = path.stem.replace("-bad", "").replace("-gbk", "")
        if stem not in KINDS:
            continue
        tag = KINDS.index(stem)
        data = head(path.read_bytes(), 12)
        put("import_csv", f"{path.parent.name}-{path.stem}", bytes([tag]) + data)
        if "-gbk" not in path.stem:
            put("import_csv", f"{path.parent.name}-{path.stem}-gb18030", bytes([tag | 0x80]) + data)


def uscc():
    lines = (ROOT / "tests/fixtures/enterprises.csv").read_text().splitlines()[1:6]
    lines += (ROOT / "tests/fixtures/enterprises-bad.csv").read_text().splitlines()[1:6]
    for i, line in enumerate(lines):
        put("uscc", f"fixture-{i}", line.split(",")[0].encode())
    put("uscc", "first17", b"91440300192185379")


def entropy():
    put("entropy", "lottery", b'{"kind":"lottery","name":"x"}\n3 11 17 22 28 31 9')
    put("entropy", "lottery-commas", b'{"kind":"lottery","name":"x"}\n3,11, 17')
    for chain in ["quicknet", "default"]:
        rounds = json.loads((ROOT / f"seeds/vectors/drand/{chain}.json").read_text())["rounds"]
        for r in rounds[:2]:
            src = json.dumps({"kind": "drand", "chain": chain, "round": r["round"]})
            value = r["signature"]
            if "previous_signature" in r:
                value += ":" + r["previous_signature"]
            put("entropy", f"{chain}-{r['round']}", f"{src}\n{value}".encode())


def pick():
    v = ROOT / "seeds/vectors/rfc3797"
    sources = "|".join(l for l in (v / "sources.txt").read_text().splitlines() if l and not l.startswith("#"))
    put("pick", "rfc3797", bytes([10]) + sources.encode() + b"\n" + (v / "pool.txt").read_bytes())
    put("pick", "crlf", bytes([2]) + b"1 2 3\n\xef\xbb\xbfa\r\nb\r\nc\r\n")


def bundles():
    for method in ["dr1", "dr2"]:
        for b in sorted(p for p in (ROOT / "seeds/vectors" / method).iterdir() if p.is_dir()):
            inputs = [head((b / "inputs" / f).read_bytes(), 8) for f in DR1_FILES]
            put("dr1_inputs", f"{method}-{b.name}", b"\0".join(inputs))
            entries = []
            for p in sorted(b.rglob("*")):
                if p.is_file():
                    rel = p.relative_to(b).as_posix()
                    data = p.read_bytes()
                    entries.append(rel.encode() + b"\n" + (data if p.suffix == ".json" else head(data, 8)))
            put("bundle", f"{method}-{b.name}", b"\0".join(entries))


if __name__ == "__main__":
    import_csv(); uscc(); entropy(); pick(); bundles()
