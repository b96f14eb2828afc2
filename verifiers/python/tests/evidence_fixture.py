"""Builds log evidence (docs/log.md §8) into a copy of a dr1 bundle, for the tests: a small log
holding the bundle's prepare and run leaves among other events, checkpoints signed by a test log
key, cosigned by test witnesses at chosen times. Tests then tamper with what this writes."""

import base64
import hashlib
import json
import shutil

import _path  # noqa: F401  (sys.path)
import ed25519
import log_evidence
import tlog

LOG_NAME = "dualdraw.test/log"
T_BEFORE = 1798761600  # 2027-01-01T00:00:00Z, before the vectors' draws of 2027-01-04
T_AFTER = 1798992000  # 2027-01-03T16:00:00Z: 2027-01-04 00:00 CST, when they may be known


def seed(name):
    return hashlib.sha256(b"dualdraw python test key " + name.encode()).digest()


def key(name, alg):
    return tlog.Verifier(name, alg, ed25519.public_key(seed(name)))


LOG = key(LOG_NAME, tlog.ALG_ED25519)
WITNESSES = [key(f"witness.test/w{i}", tlog.ALG_COSIGNATURE_V1) for i in (1, 2)]
OTHER_LOG = key("dualdraw.test/other", tlog.ALG_ED25519)


def canonical(value, final_lf=True):
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + ("\n" if final_lf else "")).encode()


def leaf(event, commitment, digest, **extra):
    fields = {"batch": commitment["batch"], "commitment_sha256": digest, "event": event,
              "format": "dualdraw-log-1", "jurisdiction": "440305"}
    fields.update(extra)
    return canonical(fields, final_lf=False)


def checkpoint_text(leaves, size, origin=LOG_NAME):
    hashes = [tlog.leaf_hash(x) for x in leaves[:size]]
    return f"{origin}\n{size}\n".encode() + base64.b64encode(mth(hashes)) + b"\n"


def mth(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return tlog.node_hash(mth(hashes[:k]), mth(hashes[k:]))


def inclusion_path(hashes, index):
    """RFC 6962 PATH(m, D[n])."""
    if len(hashes) <= 1:
        return []
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    if index < k:
        return inclusion_path(hashes[:k], index) + [mth(hashes[k:])]
    return inclusion_path(hashes[k:], index - k) + [mth(hashes[:k])]


def consistency_path(hashes, m):
    """RFC 6962 PROOF(m, D[n]) for 0 < m < n = len(hashes)."""

    def sub(m, hashes, whole):
        n = len(hashes)
        if m == n:
            return [] if whole else [mth(hashes)]
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return sub(m, hashes[:k], whole) + [mth(hashes[k:])]
        return sub(m - k, hashes[k:], False) + [mth(hashes[:k])]

    return sub(m, hashes, True)


def cosigned(text, times, log=LOG):
    signers = [(log, seed(log.name))]
    signers += [(w, seed(w.name), t) for w, t in zip(WITNESSES, times)]
    return tlog.sign_note(text, signers)


class Log:
    """Leaves 0..4: another batch's prepare, this prepare, another event, this run, another."""

    def __init__(self, bundle, times=(T_BEFORE, T_BEFORE + 60)):
        manifest = json.loads((bundle / "manifest.json").read_text())
        commitment = json.loads((bundle / "commitment.json").read_text())
        digest = manifest["commitment_sha256"]
        other = dict(commitment, batch="2025-Q4")
        prepare = leaf("prepare", commitment, digest, method=commitment["method"],
                       sources=commitment["sources"],
                       allow_past_entropy=commitment.get("allow_past_entropy", False))
        self.leaves = [
            leaf("prepare", other, "ab" * 32, method="dr1", sources=other["sources"],
                 allow_past_entropy=False),
            prepare,
            leaf("abandon", other, "ab" * 32, reason="测试"),
        ]
        if manifest["state"] == "revealed":
            secret = bytes.fromhex((bundle / "secret.txt").read_text().strip())
            plan = {k: v for k, v in manifest["files"].items() if k.startswith("plan/")}
            self.leaves.append(leaf("run", commitment, digest,
                                    entropy_sha256=manifest["files"]["entropy.json"],
                                    plan_commitment=log_evidence.plan_commitment(secret, plan)))
        self.leaves.append(leaf("reveal", other, "ab" * 32, secret="00" * 32))
        self.times = times

    def evidence(self, index, size, times=None, consistent_with=None):
        """The evidence of leaf `index` in the checkpoint of `size`; with `consistent_with`, the
        consistency proof from the checkpoint of that size."""
        hashes = [tlog.leaf_hash(x) for x in self.leaves[:size]]
        note = cosigned(checkpoint_text(self.leaves, size), self.times if times is None else times)
        ev = {"checkpoint": note.decode(), "index": index, "leaf": self.leaves[index].decode(),
              "proof": [base64.b64encode(h).decode() for h in inclusion_path(hashes, index)]}
        if consistent_with is not None:
            path = consistency_path(hashes, consistent_with)
            ev["consistency"] = [base64.b64encode(h).decode() for h in path]
        return ev


def keys_json(quorum=2, witnesses=WITNESSES, log=LOG):
    return {"log": tlog.verifier_key_string(log), "quorum": quorum,
            "witnesses": [tlog.verifier_key_string(w) for w in witnesses]}


def write(bundle, files):
    """Writes {relative path: JSON value or None (delete)} and re-lists them in the manifest."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    for rel, value in files.items():
        path = bundle / rel
        if value is None:
            path.unlink(missing_ok=True)
            manifest["files"].pop(rel, None)
            continue
        path.parent.mkdir(exist_ok=True)
        data = value if isinstance(value, bytes) else canonical(value)
        path.write_bytes(data)
        manifest["files"][rel] = hashlib.sha256(data).hexdigest()
        if rel == "commitment.json":
            manifest["commitment_sha256"] = manifest["files"][rel]
    (bundle / "manifest.json").write_bytes(canonical(manifest))


def with_evidence(source, target, times=(T_BEFORE, T_BEFORE + 60)):
    """A copy of `source` with evidence: prepare (leaf 1, checkpoint 3) and, if revealed,
    run (leaf 3, checkpoint 5). Returns the Log, for tests that rewrite the evidence."""
    shutil.copytree(source, target)
    log = Log(target, times)
    files = {"log/keys.json": keys_json(), "log/prepare.json": log.evidence(1, 3)}
    if len(log.leaves) == 5:
        files["log/run.json"] = log.evidence(3, 5)
    write(target, files)
    return log


def to_run_state(bundle, allow_past_entropy=False):
    """Turns a revealed bundle into a run one (secret withdrawn); optionally marks its commitment
    as prepared with --allow-past-entropy (the plan's rules still check: they need no seed)."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    (bundle / "secret.txt").unlink()
    del manifest["files"]["secret.txt"]
    del manifest["seed"]
    manifest["state"] = "run"
    if allow_past_entropy:
        c = json.loads((bundle / "commitment.json").read_text())
        c["allow_past_entropy"] = True
        data = canonical(c)
        (bundle / "commitment.json").write_bytes(data)
        manifest["files"]["commitment.json"] = hashlib.sha256(data).hexdigest()
        manifest["commitment_sha256"] = hashlib.sha256(data).hexdigest()
    (bundle / "manifest.json").write_bytes(canonical(manifest))
