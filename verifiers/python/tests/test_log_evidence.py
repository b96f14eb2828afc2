"""verify_dr1.py checks a bundle's log evidence as docs/log.md §8.1 says, and refuses tampered
evidence with a message naming what failed."""

import base64
import contextlib
import io
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import _path  # noqa: F401  (sys.path)
import evidence_fixture as fx
import tlog
import verify_dr1

# A small revealed vector whose two lottery sources are draws of 2027-01-04.
SOURCE = _path.ROOT / "seeds/vectors/dr1/conflicts-last-team"
FIRST_SOURCE = "2027-01-03T16:00:00Z"  # 2027-01-04 00:00 CST


def run(bundle, *flags):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = verify_dr1.main(["verify_dr1.py", str(bundle), *flags])
    return status, out.getvalue(), err.getvalue()


class Evidence(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.bundle = Path(self.tmp.name) / "bundle"
        self.log = fx.with_evidence(SOURCE, self.bundle)

    def tearDown(self):
        self.tmp.cleanup()

    def evidence(self, rel="log/prepare.json"):
        return json.loads((self.bundle / rel).read_text())

    def refused(self, *needles, flags=()):
        status, out, err = run(self.bundle, *flags)
        self.assertEqual(status, 1, out + err)
        for needle in needles:
            self.assertIn(needle, err)
        return err

    def test_valid_evidence_states_the_times(self):
        status, out, err = run(self.bundle)
        self.assertEqual(status, 0, err)
        self.assertIn("logged in jurisdiction 440305: prepare leaf 1 in checkpoint 3 cosigned by 2 witnesses (quorum 2)", out)
        self.assertIn("run leaf 3 in checkpoint 5", out)
        self.assertIn(f"commitment time 2027-01-01T00:01:00Z, before the first source time {FIRST_SOURCE}", out)
        self.assertIn(f"lottery 福彩3D 2027001 of 2027-01-04 {FIRST_SOURCE}", out)
        self.assertIn(f"log key {tlog.verifier_key_string(fx.LOG)} (from log/keys.json", out)

    def test_keys_from_the_command_line(self):
        w = [f for k in fx.WITNESSES for f in ("--witness", tlog.verifier_key_string(k))]
        status, out, err = run(self.bundle, "--log-key", tlog.verifier_key_string(fx.LOG), *w)
        self.assertEqual(status, 0, err)
        self.assertNotIn("from log/keys.json", out)
        # Quorum 1 of 2: the commitment time is the earlier cosignature.
        status, out, err = run(self.bundle, "--log-key", tlog.verifier_key_string(fx.LOG), *w,
                               "--quorum", "1")
        self.assertIn("commitment time 2027-01-01T00:00:00Z", out)

    def test_quorum_zero_leaves_the_order_unattested(self):
        fx.write(self.bundle, {"log/keys.json": fx.keys_json(quorum=0, witnesses=[])})
        status, out, err = run(self.bundle)
        self.assertEqual(status, 0, err)
        self.assertIn("cosigned by 0 witnesses (quorum 0)", out)
        self.assertIn("commitment time unattested (no witnesses)", out)
        self.assertIn("the order is not attested", out)

    def test_quorum_above_the_witnesses_is_a_usage_error(self):
        status, _, err = run(self.bundle, "--log-key", tlog.verifier_key_string(fx.LOG),
                             "--witness", tlog.verifier_key_string(fx.WITNESSES[0]), "--quorum", "2")
        self.assertEqual(status, 2, err)
        self.assertIn("quorum 2: must be between 0 and 1 witnesses", err)

    def test_consistency_between_the_checkpoints_is_checked(self):
        fx.write(self.bundle, {"log/run.json": self.log.evidence(3, 5, consistent_with=3)})
        status, out, err = run(self.bundle)
        self.assertEqual(status, 0, err)
        self.assertIn("run leaf 3 in checkpoint 5 (consistent with checkpoint 3); ", out)

    def test_tampered_consistency_proof_is_refused(self):
        ev = self.log.evidence(3, 5, consistent_with=3)
        raw = bytearray(base64.b64decode(ev["consistency"][0]))
        raw[0] ^= 1
        ev["consistency"][0] = base64.b64encode(bytes(raw)).decode()
        fx.write(self.bundle, {"log/run.json": ev})
        self.refused("log/run.json: consistency proof from checkpoint 3 to checkpoint 5 does not verify")
        # A proof of another pair of sizes fails as well.
        fx.write(self.bundle, {"log/run.json": self.log.evidence(3, 5, consistent_with=2)})
        self.refused("log/run.json: consistency proof from checkpoint 3 to checkpoint 5 does not verify")
        fx.write(self.bundle, {"log/run.json": dict(ev, consistency="AAAA")})
        self.refused("log/run.json: consistency is not a list of base64 hashes")

    def test_another_log_key_is_refused(self):
        self.refused("log/prepare.json: checkpoint is not signed by the log key dualdraw.test/other+",
                     flags=("--log-key", tlog.verifier_key_string(fx.OTHER_LOG)))

    def test_forged_cosignature_is_refused(self):
        ev = self.evidence()
        lines = ev["checkpoint"].split("\n")
        name, blob = lines[-2].split(" ")[1:]
        raw = bytearray(base64.b64decode(blob))
        raw[11] ^= 1  # claim another time
        lines[-2] = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}"
        ev["checkpoint"] = "\n".join(lines)
        fx.write(self.bundle, {"log/prepare.json": ev})
        self.refused("log/prepare.json: checkpoint: invalid signature for key witness.test/w2")

    def test_replayed_cosignature_is_refused(self):
        # w1's cosignature of the tree of size 5, copied onto the checkpoint of size 3.
        later = self.log.evidence(3, 5)["checkpoint"].split("\n")
        ev = self.evidence()
        lines = ev["checkpoint"].split("\n")
        lines[-3] = later[-3]
        ev["checkpoint"] = "\n".join(lines)
        fx.write(self.bundle, {"log/prepare.json": ev})
        self.refused("invalid signature for key witness.test/w1")

    def test_wrong_proof_is_refused(self):
        ev = self.evidence()
        raw = bytearray(base64.b64decode(ev["proof"][0]))
        raw[0] ^= 1
        ev["proof"][0] = base64.b64encode(bytes(raw)).decode()
        fx.write(self.bundle, {"log/prepare.json": ev})
        self.refused("log/prepare.json: inclusion proof: leaf 1 of tree size 3 does not lead to the root")

    def test_smaller_checkpoint_is_refused(self):
        ev = self.evidence()
        ev["checkpoint"] = fx.cosigned(fx.checkpoint_text(self.log.leaves, 1), self.log.times).decode()
        fx.write(self.bundle, {"log/prepare.json": ev})
        self.refused("log/prepare.json: leaf index 1 is not in the checkpoint's tree of size 1")

    def test_quorum_not_met_is_refused(self):
        ev = self.log.evidence(1, 3, times=(fx.T_BEFORE,))
        fx.write(self.bundle, {"log/prepare.json": ev})
        self.refused("log/prepare.json: checkpoint of size 3 cosigned by 1 of the witnesses, the quorum is 2")

    def test_leaf_of_another_batch_is_refused(self):
        ev = self.log.evidence(0, 3)
        fx.write(self.bundle, {"log/prepare.json": ev})
        self.refused("log/prepare.json: leaf batch is '2025-Q4', the bundle's is 'conflicts-last-team'")

    def test_run_leaf_with_another_plan_is_refused(self):
        self.log.leaves[3] = self.log.leaves[3].replace(b'"plan_commitment":"', b'"plan_commitment":"0')[:-3] + b'"}'
        fx.write(self.bundle, {"log/run.json": self.log.evidence(3, 5)})
        self.refused("log/run.json: leaf plan_commitment is")

    def test_commitment_after_the_entropy_is_refused(self):
        shutil.rmtree(self.bundle)
        fx.with_evidence(SOURCE, self.bundle, times=(fx.T_AFTER, fx.T_AFTER + 60))
        self.refused("commitment time 2027-01-03T16:01:00Z is not before the first source time "
                     f"{FIRST_SOURCE}")

    def test_missing_keys_file_is_refused(self):
        fx.write(self.bundle, {"log/keys.json": None})
        self.refused("log/keys.json: missing, and no --log-key given")

    def test_evidence_not_in_the_manifest_is_refused(self):
        (self.bundle / "log/extra.json").write_text("{}\n")
        self.refused("log/extra.json: file not listed in manifest.json")

    def test_run_evidence_in_a_run_bundle_is_refused(self):
        fx.to_run_state(self.bundle)
        self.refused("log/run.json: not part of a bundle in state run")


class PastEntropy(unittest.TestCase):
    """A bundle prepared with --allow-past-entropy says so, with or without evidence."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.bundle = Path(self.tmp.name) / "bundle"
        shutil.copytree(SOURCE, self.bundle)
        fx.to_run_state(self.bundle, allow_past_entropy=True)

    def tearDown(self):
        self.tmp.cleanup()

    def test_without_evidence(self):
        status, out, err = run(self.bundle)
        self.assertEqual(status, 0, err)
        self.assertTrue(out.rstrip().endswith(
            "prepared with --allow-past-entropy: the order of commitment and entropy is NOT proven; "
            "no log evidence"), out)

    def test_with_late_evidence(self):
        log = fx.Log(self.bundle, times=(fx.T_AFTER, fx.T_AFTER + 60))
        fx.write(self.bundle, {"log/keys.json": fx.keys_json(), "log/prepare.json": log.evidence(1, 3)})
        status, out, err = run(self.bundle)
        self.assertEqual(status, 0, err)
        self.assertIn("commitment time 2027-01-03T16:01:00Z; sources: ", out)
        self.assertIn("the order of commitment and entropy is NOT proven", out)

    def test_false_is_not_a_valid_value(self):
        c = json.loads((self.bundle / "commitment.json").read_text())
        c["allow_past_entropy"] = False
        fx.write(self.bundle, {"commitment.json": c})
        status, out, err = run(self.bundle)
        self.assertEqual(status, 1, out)
        self.assertIn("allow_past_entropy must be true when present", err)


class RecordedEvidence(unittest.TestCase):
    """The evidence of seeds/vectors/dr1/demo-logged, made by the Rust service with two real
    witnesses: verified as it is, refused once a witness's time or the proof is changed."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.bundle = Path(self.tmp.name) / "bundle"
        shutil.copytree(_path.ROOT / "seeds/vectors/dr1/demo-logged", self.bundle)

    def tearDown(self):
        self.tmp.cleanup()

    def test_verifies_as_recorded(self):
        status, out, err = run(self.bundle)
        self.assertEqual(status, 0, err)
        expected = (_path.ROOT / "seeds/vectors/dr1/demo-logged.expected").read_text()
        self.assertEqual(out.split("; logged in", 1)[1], expected.split("; logged in", 1)[1])

    def test_changed_witness_time_is_refused(self):
        ev = json.loads((self.bundle / "log/run.json").read_text())
        lines = ev["checkpoint"].split("\n")
        name, blob = lines[-3].split(" ")[1:]
        raw = bytearray(base64.b64decode(blob))
        raw[11] ^= 1
        lines[-3] = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}"
        ev["checkpoint"] = "\n".join(lines)
        fx.write(self.bundle, {"log/run.json": ev})
        status, _, err = run(self.bundle)
        self.assertEqual(status, 1)
        self.assertIn("log/run.json: checkpoint: invalid signature for key witness.test/w1", err)

    def test_proof_of_another_leaf_is_refused(self):
        ev = json.loads((self.bundle / "log/run.json").read_text())
        ev["index"] = 0
        fx.write(self.bundle, {"log/run.json": ev})
        status, _, err = run(self.bundle)
        self.assertEqual(status, 1)
        self.assertIn("log/run.json: inclusion proof: leaf 0 of tree size 2 does not lead to the root", err)


class SourceTimes(unittest.TestCase):
    """docs/log.md §7.1, the same figures as solver/src/timing.rs's tests."""

    def test_drand_round_times(self):
        import log_evidence

        quicknet = {"kind": "drand", "chain": "quicknet", "round": 123}
        self.assertEqual(log_evidence.source_time(quicknet), 1692803733)
        self.assertEqual(log_evidence.utc(1692803733), "2023-08-23T15:15:33Z")
        default = {"kind": "drand", "chain": "default", "round": 1000}
        self.assertEqual(log_evidence.source_time(default), 1595431050 + 30 * 999)

    def test_lottery_from_midnight_china_standard_time(self):
        import log_evidence

        draw = {"kind": "lottery", "name": "福彩3D", "issue": "2026001", "date": "2026-01-02"}
        self.assertEqual(log_evidence.source_time(draw), 1767283200)
        self.assertEqual(log_evidence.utc(1767283200), "2026-01-01T16:00:00Z")


class NoEvidence(unittest.TestCase):
    def test_vector_without_evidence_says_so(self):
        status, out, err = run(SOURCE)
        self.assertEqual(status, 0, err)
        self.assertTrue(out.rstrip().endswith("; no log evidence"), out)


if __name__ == "__main__":
    unittest.main()
