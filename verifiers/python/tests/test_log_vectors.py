"""The Python implementation against the Rust log's vectors (seeds/vectors/log/, docs/log.md):
two implementations written apart must agree on every byte."""

import base64
import hashlib
import json
import unittest

import _path  # noqa: F401  (sys.path)
import tlog
from tlog import TlogError

LOG = _path.ROOT / "seeds/vectors/log"


def load(name):
    return json.loads((LOG / name).read_text())


def b64(s):
    return base64.b64decode(s)


class RustLogVectors(unittest.TestCase):
    def test_rfc8032(self):
        import ed25519

        for t in load("rfc8032.json")["tests"]:
            pk, msg, sig = (bytes.fromhex(t[k]) for k in ("public_key", "message", "signature"))
            self.assertTrue(ed25519.verify(pk, msg, sig))

    def test_go_note(self):
        v = load("go-note.json")
        peter = tlog.parse_verifier_key(v["verifier_key"])
        note, _ = tlog.open_note(v["signed"].encode(), [peter])
        self.assertEqual(note.text.decode(), v["text"])
        for bad in v["bad_verifier_keys"]:
            with self.assertRaises(TlogError):
                tlog.parse_verifier_key(bad)

    def test_leaves_tree_and_proofs(self):
        v = load("leaves.json")
        hashes = []
        for leaf in v["leaves"]:
            data = leaf["leaf"].encode()
            parsed = json.loads(data)
            canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            self.assertEqual(canonical.encode(), data, "leaves are canonical JSON without LF")
            hashes.append(tlog.leaf_hash(data))
            self.assertEqual(hashes[-1].hex(), leaf["leaf_hash"])
        root = b64(v["root"])
        for p in v["inclusion"]:
            path = [b64(x) for x in p["proof"]]
            tlog.verify_inclusion(p["index"], p["size"], hashes[p["index"]], path, root)
        for p in v["consistency"]:
            path = [b64(x) for x in p["proof"]]
            tlog.verify_consistency(p["old_size"], p["size"], b64(p["old_root"]), root, path)

    def test_checkpoints(self):
        v = load("checkpoints.json")
        log_key = tlog.parse_verifier_key(v["log_verifier_key"])
        seed = b64(v["log_private_key"].split("+", 4)[4])[1:]
        leaves = load("leaves.json")["leaves"]
        for c in v["checkpoints"]:
            note, _ = tlog.open_note(c["signed"].encode(), [log_key])
            cp = tlog.parse_checkpoint(note.text)
            self.assertEqual((cp.origin, cp.size), (log_key.name, c["size"]))
            self.assertEqual(cp.root, merkle_root([tlog.leaf_hash(x["leaf"].encode()) for x in leaves[: c["size"]]]))
            # Ed25519 is deterministic: signing the same text gives the same note.
            self.assertEqual(tlog.sign_note(note.text, [(log_key, seed)]).decode(), c["signed"])

    def test_cosignatures(self):
        v = load("cosignatures.json")
        witnesses = [tlog.parse_verifier_key(w["verifier_key"]) for w in v["witnesses"]]
        log_key = tlog.parse_verifier_key(load("checkpoints.json")["log_verifier_key"])
        _, verified = tlog.open_note(v["cosigned"].encode(), [log_key] + witnesses)
        times = sorted(verified[w.label()] for w in witnesses)
        self.assertEqual(times, v["timestamps"])
        forged = v["checkpoint"] + v["forged"]
        with self.assertRaisesRegex(TlogError, "invalid signature for key witness.test/w1"):
            tlog.open_note(forged.encode(), [log_key] + witnesses)


def merkle_root(hashes):
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return tlog.node_hash(merkle_root(hashes[:k]), merkle_root(hashes[k:]))


if __name__ == "__main__":
    unittest.main()
