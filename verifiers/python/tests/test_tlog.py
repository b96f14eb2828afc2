"""Signed notes against the Go sumdb/note test data; checkpoints; cosignatures; RFC 6962 proofs
against the Certificate Transparency vectors."""

import base64
import json
import unittest

import _path  # noqa: F401  (sys.path)
import tlog
from tlog import TlogError

GO = json.loads((_path.TESTDATA / "go-sumdb-note.json").read_text())
CT = json.loads((_path.ROOT / "seeds/vectors/merkle/rfc6962-ct.json").read_text())
CONSISTENCY = json.loads((_path.TESTDATA / "merkle-consistency.json").read_text())

WITNESS_SEED = bytes(range(32))
LOG_SEED = bytes(range(1, 33))


def peter_seed():
    return base64.b64decode(GO["peter_skey"].split("+", 4)[4])[1:]


class VerifierKeys(unittest.TestCase):
    def test_go_keys_parse_with_their_hashes(self):
        peter = tlog.parse_verifier_key(GO["peter_vkey"])
        self.assertEqual((peter.name, peter.key_id, peter.alg), ("PeterNeumann", 0xC74F20A3, 1))
        self.assertEqual(tlog.verifier_key_string(peter), GO["peter_vkey"])
        self.assertEqual(tlog.parse_verifier_key(GO["enoch_vkey"]).key_id, 0xAF0CFE78)

    def test_the_secret_key_matches_the_verifier_key(self):
        import ed25519

        peter = tlog.parse_verifier_key(GO["peter_vkey"])
        self.assertEqual(ed25519.public_key(peter_seed()), peter.public_key)

    def test_manglings_are_refused(self):
        vkey = GO["peter_vkey"]
        for bad in GO["bad_vkeys"]:
            with self.assertRaises(TlogError, msg=bad):
                tlog.parse_verifier_key(bad)
        for i in range(len(vkey)):
            changed = vkey[:i] + chr(ord(vkey[i]) + 1) + vkey[i + 1 :]
            with self.assertRaises(TlogError, msg=changed):
                tlog.parse_verifier_key(changed)
        for cut in (vkey[:-1], vkey[1:], vkey[: vkey.rfind("+")]):
            with self.assertRaises(TlogError, msg=cut):
                tlog.parse_verifier_key(cut)


class SignedNotes(unittest.TestCase):
    def setUp(self):
        self.peter = tlog.parse_verifier_key(GO["peter_vkey"])
        self.enoch = tlog.parse_verifier_key(GO["enoch_vkey"])
        self.msg = (GO["text"] + "\n" + GO["peter_sig"] + GO["enoch_sig"]).encode()

    def test_go_signature_is_reproduced(self):
        signed = tlog.sign_note(GO["text"].encode(), [(self.peter, peter_seed())])
        self.assertEqual(signed.decode(), GO["text"] + "\n" + GO["peter_sig"])

    def test_open_with_one_or_both_keys(self):
        note, verified = tlog.open_note(self.msg, [self.peter])
        self.assertEqual(note.text.decode(), GO["text"])
        self.assertEqual(list(verified), ["PeterNeumann+c74f20a3"])
        _, verified = tlog.open_note(self.msg, [self.peter, self.enoch])
        self.assertEqual(sorted(verified), ["EnochRoot+af0cfe78", "PeterNeumann+c74f20a3"])

    def test_no_known_key_is_refused(self):
        with self.assertRaisesRegex(TlogError, "no verifiable signatures"):
            tlog.open_note(self.msg, [])

    def test_duplicated_verifier_is_ambiguous(self):
        with self.assertRaisesRegex(TlogError, "ambiguous key EnochRoot\\+af0cfe78"):
            tlog.open_note(self.msg, [self.enoch, self.peter, self.enoch])

    def test_too_many_signatures_are_refused(self):
        msg = (GO["text"] + "\n" + GO["peter_sig"] * 101).encode()
        with self.assertRaisesRegex(TlogError, "malformed note"):
            tlog.open_note(msg, [self.peter])

    def test_invalid_signature_of_a_known_key_names_it(self):
        sig = GO["peter_sig"]
        msg = (GO["text"] + "\n" + sig[:60] + "ABCD" + sig[60:]).encode()
        with self.assertRaisesRegex(TlogError, "invalid signature for key PeterNeumann\\+c74f20a3"):
            tlog.open_note(msg, [self.peter])

    def test_invalid_unknown_signatures_are_ignored(self):
        enoch = GO["enoch_sig"]
        msg = GO["text"] + "\n" + GO["peter_sig"] * 2 + enoch * 2 + enoch[:60] + "ABCD" + enoch[60:]
        _, verified = tlog.open_note(msg.encode(), [self.peter])
        self.assertEqual(list(verified), ["PeterNeumann+c74f20a3"])

    def test_malformed_notes_are_refused(self):
        text, sig = GO["text"], GO["peter_sig"]
        bad = [
            text,
            text + "\n",
            text + "\n" + sig[:-1],
            "\x01" + text + "\n" + sig,
            text + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
            text + "\n" + sig + "Unexpected line.\n",
        ]
        for msg in bad:
            with self.assertRaisesRegex(TlogError, "malformed note", msg=repr(msg)):
                tlog.open_note(msg.encode(), [self.peter])
        with self.assertRaisesRegex(TlogError, "malformed note"):
            tlog.open_note(b"\xff" + (text + "\n" + sig).encode(), [self.peter])

    def test_signature_under_another_name_or_hash_is_not_this_key(self):
        renamed = GO["peter_sig"].replace("PeterNeumann", "CarmenSandiego")
        with self.assertRaisesRegex(TlogError, "no verifiable signatures"):
            tlog.open_note((GO["text"] + "\n" + renamed).encode(), [self.peter])
        rehashed = GO["peter_sig"].replace("x08g", "xxxx")
        with self.assertRaisesRegex(TlogError, "no verifiable signatures"):
            tlog.open_note((GO["text"] + "\n" + rehashed).encode(), [self.peter])


def make_keys():
    import ed25519

    log = tlog.Verifier("example.com/log", tlog.ALG_ED25519, ed25519.public_key(LOG_SEED))
    witness = tlog.Verifier(
        "example.com/witness", tlog.ALG_COSIGNATURE_V1, ed25519.public_key(WITNESS_SEED)
    )
    return log, witness


class Checkpoints(unittest.TestCase):
    def test_parse(self):
        root = bytes(range(32))
        text = b"example.com/log\n42\n" + base64.b64encode(root) + b"\nextra\n"
        c = tlog.parse_checkpoint(text)
        self.assertEqual((c.origin, c.size, c.root, c.extensions), ("example.com/log", 42, root, ["extra"]))

    def test_malformed_checkpoints_are_refused(self):
        root = base64.b64encode(bytes(32))
        for text, why in [
            (b"example.com/log\n42\n", "fewer than three lines"),
            (b"\n42\n" + root + b"\n", "empty origin"),
            (b"o\n042\n" + root + b"\n", "leading zero"),
            (b"o\n-1\n" + root + b"\n", "not a decimal"),
            (b"o\n1\n" + base64.b64encode(bytes(31)) + b"\n", "not 32"),
            (b"o\n1\n" + root + b"\n\n", "empty extension"),
            (b"o\n1\n" + root, "no final newline"),
        ]:
            with self.assertRaisesRegex(TlogError, why, msg=repr(text)):
                tlog.parse_checkpoint(text)

    def test_cosignature_verifies_and_gives_its_time(self):
        log, witness = make_keys()
        text = b"example.com/log\n3\n" + base64.b64encode(bytes(32)) + b"\n"
        note = tlog.sign_note(text, [(log, LOG_SEED), (witness, WITNESS_SEED, 1767225600)])
        _, verified = tlog.open_note(note, [log, witness])
        self.assertEqual(verified[witness.label()], 1767225600)
        self.assertIs(verified[log.label()], True)

    def test_cosignature_message_is_the_c2sp_one(self):
        text = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        self.assertEqual(
            tlog.cosignature_message(1679315147, text),
            b"cosignature/v1\ntime 1679315147\n" + text,
        )

    def test_cosignature_with_a_changed_time_is_refused(self):
        log, witness = make_keys()
        text = b"example.com/log\n3\n" + base64.b64encode(bytes(32)) + b"\n"
        note = tlog.sign_note(text, [(witness, WITNESS_SEED, 1767225600)]).decode()
        line = note.splitlines()[-1]
        raw = bytearray(base64.b64decode(line.split(" ")[2]))
        raw[11] ^= 1  # the timestamp's last byte
        forged = note.replace(line.split(" ")[2], base64.b64encode(bytes(raw)).decode())
        with self.assertRaisesRegex(TlogError, "invalid signature for key example.com/witness"):
            tlog.open_note(forged.encode(), [witness])

    def test_cosignature_of_another_checkpoint_is_refused(self):
        log, witness = make_keys()
        text = b"example.com/log\n3\n" + base64.b64encode(bytes(32)) + b"\n"
        other = b"example.com/log\n4\n" + base64.b64encode(bytes(32)) + b"\n"
        sig_line = tlog.sign_note(other, [(witness, WITNESS_SEED, 5)]).split(b"\n\n")[1]
        with self.assertRaisesRegex(TlogError, "invalid signature for key example.com/witness"):
            tlog.open_note(text + b"\n" + sig_line, [witness])

    def test_ed25519_key_and_cosignature_key_have_different_ids(self):
        import ed25519

        pub = ed25519.public_key(WITNESS_SEED)
        self.assertNotEqual(tlog.key_id("w", 1, pub), tlog.key_id("w", 4, pub))


def h(x):
    return bytes.fromhex(x)


class Rfc6962Proofs(unittest.TestCase):
    roots = [h(r) for r in CT["roots"]]
    leaves = [h(x) for x in CT["leaves"]]

    def test_leaf_hashes(self):
        for v in CT["leaf_hashes"]:
            self.assertEqual(tlog.leaf_hash(h(v["data"])).hex(), v["hash"])

    def test_ct_inclusion_proofs(self):
        for p in CT["inclusion_proofs"]:
            path = [h(x) for x in p["path"]]
            leaf = tlog.leaf_hash(self.leaves[p["index"]])
            tlog.verify_inclusion(p["index"], p["size"], leaf, path, self.roots[p["size"]])

    def test_corrupted_inclusion_proofs_are_refused(self):
        for p in CT["inclusion_proofs"][1:]:
            i, n, path = p["index"], p["size"], [h(x) for x in p["path"]]
            leaf, root = tlog.leaf_hash(self.leaves[i]), self.roots[n]
            probes = [
                (i + 1, n, leaf, path, root),
                (i, n * 2, leaf, path, root),
                (i, n, tlog.leaf_hash(b"wrong"), path, root),
                (i, n, leaf, path + [root], root),
                (i, n, leaf, [root] + path, root),
                (i, n, leaf, path[:-1], root),
                (i, n, leaf, path, self.roots[0]),
                (n, n, leaf, path, root),
            ]
            for k in range(len(path)):
                bad = list(path)
                bad[k] = bytes([bad[k][0] ^ 8]) + bad[k][1:]
                probes.append((i, n, leaf, bad, root))
            for probe in probes:
                with self.assertRaises(TlogError, msg=repr(probe[:2])):
                    tlog.verify_inclusion(*probe)

    def test_consistency_proofs(self):
        for p in CONSISTENCY["consistency_proofs"]:
            a, b = p["size1"], p["size2"]
            tlog.verify_consistency(a, b, self.roots[a], self.roots[b], [h(x) for x in p["path"]])

    def test_corrupted_consistency_proofs_are_refused(self):
        for p in CONSISTENCY["consistency_proofs"][1:]:
            a, b, path = p["size1"], p["size2"], [h(x) for x in p["path"]]
            r1, r2 = self.roots[a], self.roots[b]
            probes = [
                (a - 1, b, r1, r2, path),
                (a + 1, b, r1, r2, path),
                (a, b * 2, r1, r2, path),
                (a, b, r2, r1, path),
                (a, b, r1, r2, []),
                (a, b, r1, r2, path + [r1]),
                (a, b, r1, r2, [r2] + path),
                (a, b, r1, r2, path[:-1]),
                (b, a, r2, r1, path),
            ]
            for k in range(len(path)):
                bad = list(path)
                bad[k] = bytes([bad[k][0] ^ 16]) + bad[k][1:]
                probes.append((a, b, r1, r2, bad))
            for probe in probes:
                with self.assertRaises(TlogError, msg=repr(probe[:2])):
                    tlog.verify_consistency(*probe)

    def test_smaller_tree_is_named(self):
        with self.assertRaisesRegex(TlogError, "tree size 3 is smaller than 5"):
            tlog.verify_consistency(5, 3, self.roots[5], self.roots[3], [])

    def test_same_size_different_root_is_a_fork(self):
        with self.assertRaisesRegex(TlogError, "two different roots"):
            tlog.verify_consistency(3, 3, self.roots[3], self.roots[4], [])
        tlog.verify_consistency(3, 3, self.roots[3], self.roots[3], [])


if __name__ == "__main__":
    unittest.main()
