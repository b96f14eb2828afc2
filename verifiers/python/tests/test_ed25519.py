"""Ed25519 against RFC 8032 section 7.1, and the refusals of section 5.1.7."""

import json
import unittest

import _path  # noqa: F401  (sys.path)
import ed25519

VECTORS = json.loads((_path.TESTDATA / "rfc8032-ed25519.json").read_text())["vectors"]


def vector(v):
    return tuple(bytes.fromhex(v[k]) for k in ("secret_key", "public_key", "message", "signature"))


class Rfc8032(unittest.TestCase):
    def test_published_signatures_verify(self):
        for v in VECTORS:
            _, pk, msg, sig = vector(v)
            self.assertTrue(ed25519.verify(pk, msg, sig), v["name"])

    def test_public_keys_and_signatures_are_reproduced(self):
        for v in VECTORS:
            sk, pk, msg, sig = vector(v)
            self.assertEqual(ed25519.public_key(sk), pk, v["name"])
            self.assertEqual(ed25519.sign(sk, msg), sig, v["name"])

    def test_other_message_or_key_is_refused(self):
        _, pk, msg, sig = vector(VECTORS[1])
        _, other_pk, _, _ = vector(VECTORS[2])
        self.assertFalse(ed25519.verify(pk, msg + b"\x00", sig))
        self.assertFalse(ed25519.verify(pk, b"\x73", sig))
        self.assertFalse(ed25519.verify(other_pk, msg, sig))

    def test_every_flipped_bit_of_the_signature_is_refused(self):
        _, pk, msg, sig = vector(VECTORS[2])
        for i in range(0, 64 * 8, 7):
            bad = bytearray(sig)
            bad[i // 8] ^= 1 << (i % 8)
            self.assertFalse(ed25519.verify(pk, msg, bytes(bad)), f"bit {i}")

    def test_s_not_below_the_group_order_is_refused(self):
        # S + L satisfies the group equation: without the check of 5.1.7 it would verify.
        _, pk, msg, sig = vector(VECTORS[1])
        s = int.from_bytes(sig[32:], "little")
        malleated = sig[:32] + (s + ed25519.L).to_bytes(32, "little")
        self.assertFalse(ed25519.verify(pk, msg, malleated))

    def test_non_canonical_y_is_refused(self):
        # y = p encodes y = 0 non-canonically; 5.1.3 refuses y >= p.
        self.assertIsNone(ed25519.decode_point(ed25519.P.to_bytes(32, "little")))
        _, pk, msg, sig = vector(VECTORS[0])
        bad_r = ed25519.P.to_bytes(32, "little")
        self.assertFalse(ed25519.verify(pk, msg, bad_r + sig[32:]))

    def test_wrong_lengths_are_refused(self):
        _, pk, msg, sig = vector(VECTORS[0])
        self.assertFalse(ed25519.verify(pk[:31], msg, sig))
        self.assertFalse(ed25519.verify(pk, msg, sig[:63]))

    def test_base_point_has_the_group_order(self):
        self.assertTrue(ed25519.point_equal(ed25519.point_mul(ed25519.L, ed25519.B), ed25519.IDENTITY))
        self.assertEqual(
            ed25519.encode_point(ed25519.B).hex(),
            "5866666666666666666666666666666666666666666666666666666666666666",
        )


if __name__ == "__main__":
    unittest.main()
