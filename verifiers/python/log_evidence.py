"""The log evidence of a bundle (`docs/log.md` §8), checked offline, and the timing rules of §7.

A bundle may carry, under `log/`, the keys its operator declares (`keys.json`) and, per logged
event, the leaf, its index, an inclusion proof and a cosigned checkpoint (`prepare.json` or
`replan.json`, `run.json`; a later file may add the consistency proof from the earlier file's
checkpoint to its own). `check(...)` verifies each file as §8.1 says and returns the
sentences the summary ends with: the commitment time (when a quorum of witnesses had cosigned
the commitment), each source's time (§7.1), and whether the commitment provably came first.
Every failure raises `tlog.TlogError` naming the file and what failed.
"""

import base64
import datetime
import hashlib
import json

import tlog
from tlog import TlogError

FORMAT = "dualdraw-log-1"
MAX_LEAF = 65535
COMMON_KEYS = {"batch", "commitment_sha256", "event", "format", "jurisdiction"}
EVENT_KEYS = {
    "prepare": {"allow_past_entropy", "method", "sources"},
    "replan": {"allow_past_entropy", "method", "replaces", "sources"},
    "run": {"entropy_sha256", "plan_commitment"},
}
EVIDENCE_FILES = ("log/prepare.json", "log/replan.json", "log/run.json")
KEYS_FILE = "log/keys.json"
TAG_PLAN = b"dualdraw-log-plan\x00"

# §7.1: drand chains' genesis time and period (seeds/vectors/drand/chains.json).
DRAND_TIMING = {"quicknet": (1692803367, 3), "default": (1595431050, 30)}
CST = datetime.timezone(datetime.timedelta(hours=8))


class Keys:
    """The keys evidence is checked with: the log's, the witnesses', the quorum, and where
    they came from (`command line` or `log/keys.json`)."""

    def __init__(self, log, witnesses, quorum, origin):
        if log.alg != tlog.ALG_ED25519:
            raise TlogError(f"log key {log.label()}: not an Ed25519 (type 0x01) key")
        for w in witnesses:
            if w.alg != tlog.ALG_COSIGNATURE_V1:
                raise TlogError(f"witness key {w.label()}: not a cosignature (type 0x04) key")
        if len({w.label() for w in witnesses}) != len(witnesses):
            raise TlogError("witness keys: a key is given twice")
        if not 0 <= quorum <= len(witnesses):
            raise TlogError(f"quorum {quorum}: must be between 0 and {len(witnesses)} witnesses")
        self.log, self.witnesses, self.quorum, self.origin = log, witnesses, quorum, origin


def keys_from_file(data, load_json):
    """Keys from `log/keys.json`: {"log":VKEY,"quorum":Q,"witnesses":[VKEY,…]}."""
    k = load_json(KEYS_FILE, data)
    if set(k) != {"log", "quorum", "witnesses"}:
        raise TlogError(f"{KEYS_FILE}: expected keys log, quorum, witnesses, found {sorted(k)}")
    if not isinstance(k["log"], str) or not isinstance(k["witnesses"], list):
        raise TlogError(f"{KEYS_FILE}: log must be a string and witnesses a list")
    if not isinstance(k["quorum"], int) or isinstance(k["quorum"], bool):
        raise TlogError(f"{KEYS_FILE}: quorum is not an integer")
    if not all(isinstance(w, str) for w in k["witnesses"]):
        raise TlogError(f"{KEYS_FILE}: witnesses must be verifier key strings")
    log = tlog.parse_verifier_key(k["log"])
    witnesses = [tlog.parse_verifier_key(w) for w in k["witnesses"]]
    return Keys(log, witnesses, k["quorum"], KEYS_FILE)


# --- §7.1 timing -----------------------------------------------------------------------------


def source_time(src):
    """The POSIX time from which a declared source's value may be known (§7.1)."""
    if src["kind"] == "drand":
        genesis, period = DRAND_TIMING[src["chain"]]
        return genesis + period * max(src["round"] - 1, 0)
    day = datetime.date.fromisoformat(src["date"])
    return int(datetime.datetime(day.year, day.month, day.day, tzinfo=CST).timestamp())


def describe_source(src):
    if src["kind"] == "drand":
        return f"drand {src['chain']} round {src['round']}"
    return f"lottery {src['name']} {src['issue']} of {src['date']}"


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- one evidence file -----------------------------------------------------------------------


def _leaf(label, text):
    """The leaf's JSON object, after checking it is canonical JSON without a final LF."""
    if not isinstance(text, str):
        raise TlogError(f"{label}: leaf is not a string")
    data = text.encode("utf-8")
    if len(data) > MAX_LEAF:
        raise TlogError(f"{label}: leaf is {len(data)} bytes, more than {MAX_LEAF}")

    def pairs(items):
        obj = {}
        for key, value in items:
            if key in obj:
                raise ValueError(f"duplicate key {key!r}")
            obj[key] = value
        return obj

    def no_float(s):
        raise ValueError(f"floating point number {s} not allowed")

    try:
        leaf = json.loads(text, object_pairs_hook=pairs, parse_float=no_float, parse_constant=no_float)
    except ValueError as exc:
        raise TlogError(f"{label}: leaf is not JSON: {exc}") from None
    canonical = json.dumps(leaf, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if canonical != text or not isinstance(leaf, dict):
        raise TlogError(f"{label}: leaf is not a JSON object in canonical form")
    return leaf


def check_leaf(label, event, leaf, bundle):
    """§8.1 step 1: the leaf is this bundle's event of this kind."""
    if leaf.get("format") != FORMAT:
        raise TlogError(f"{label}: leaf format is {leaf.get('format')!r}, not {FORMAT!r}")
    if leaf.get("event") != event:
        raise TlogError(f"{label}: leaf event is {leaf.get('event')!r}, not {event!r}")
    expected = COMMON_KEYS | EVENT_KEYS[event]
    if set(leaf) != expected:
        raise TlogError(f"{label}: leaf keys expected {sorted(expected)}, found {sorted(leaf)}")
    if not isinstance(leaf["jurisdiction"], str):
        raise TlogError(f"{label}: leaf jurisdiction is not a string")
    c = bundle.commitment
    want = {"batch": c["batch"], "commitment_sha256": bundle.commitment_sha256}
    if event in ("prepare", "replan"):
        want.update(method=c["method"], sources=c["sources"],
                    allow_past_entropy=c.get("allow_past_entropy", False))
        if event == "replan":
            want["replaces"] = c.get("replaces")
    else:
        want["entropy_sha256"] = bundle.entropy_sha256
        if bundle.secret is not None:
            want["plan_commitment"] = plan_commitment(bundle.secret, bundle.plan_files)
    for key, value in want.items():
        if leaf[key] != value:
            raise TlogError(f"{label}: leaf {key} is {leaf[key]!r}, the bundle's is {value!r}")


def plan_commitment(secret, plan_files):
    """§1: SHA-256("dualdraw-log-plan" ‖ 0x00 ‖ secret ‖ listing of plan/ files)."""
    listing = "".join(f"{path} {digest}\n" for path, digest in sorted(plan_files.items()))
    return hashlib.sha256(TAG_PLAN + secret + listing.encode()).hexdigest()


class Checked:
    """One evidence file after §8.1 steps 1-4: its leaf (parsed), index, checkpoint (size,
    root), the witnesses' cosignature times (sorted) and its consistency proof (None if the
    file has none)."""

    def __init__(self, leaf, index, checkpoint, times, consistency):
        self.leaf, self.index, self.checkpoint = leaf, index, checkpoint
        self.times, self.consistency = times, consistency


def check_file(label, event, data, bundle, keys, load_json):
    """§8.1 steps 1-4 for one evidence file. Returns a Checked."""
    ev = load_json(label, data)
    required = {"checkpoint", "index", "leaf", "proof"}
    if not required <= set(ev) <= required | {"consistency"}:
        raise TlogError(f"{label}: expected keys checkpoint, [consistency,] index, leaf, proof, "
                        f"found {sorted(ev)}")
    leaf_text = ev["leaf"]
    leaf = _leaf(label, leaf_text)
    check_leaf(label, event, leaf, bundle)
    if not isinstance(ev["checkpoint"], str):
        raise TlogError(f"{label}: checkpoint is not a string")
    index = ev["index"]
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise TlogError(f"{label}: index is not a non-negative integer")
    try:
        note, verified = tlog.open_note(ev["checkpoint"].encode(), [keys.log] + keys.witnesses)
    except TlogError as exc:
        if str(exc) == "note has no verifiable signatures":
            raise TlogError(f"{label}: checkpoint is not signed by the log key "
                            f"{keys.log.label()}") from None
        raise TlogError(f"{label}: checkpoint: {exc}") from None
    if keys.log.label() not in verified:
        raise TlogError(f"{label}: checkpoint is not signed by the log key {keys.log.label()}")
    cp = tlog.parse_checkpoint(note.text)
    if cp.origin != keys.log.name:
        raise TlogError(f"{label}: checkpoint origin {cp.origin!r} is not the log key's name")
    if cp.extensions:
        raise TlogError(f"{label}: checkpoint has extension lines")
    if index >= cp.size:
        raise TlogError(f"{label}: leaf index {index} is not in the checkpoint's tree of size {cp.size}")
    if not isinstance(ev["proof"], list) or not all(isinstance(p, str) for p in ev["proof"]):
        raise TlogError(f"{label}: proof is not a list of base64 hashes")
    path = [_hash(label, p) for p in ev["proof"]]
    try:
        tlog.verify_inclusion(index, cp.size, tlog.leaf_hash(leaf_text.encode()), path, cp.root)
    except TlogError as exc:
        raise TlogError(f"{label}: {exc}") from None
    times = sorted(verified[w.label()] for w in keys.witnesses if w.label() in verified)
    if len(times) < keys.quorum:
        raise TlogError(
            f"{label}: checkpoint of size {cp.size} cosigned by {len(times)} of the witnesses, "
            f"the quorum is {keys.quorum}"
        )
    consistency = None
    if "consistency" in ev:
        if not isinstance(ev["consistency"], list) or \
                not all(isinstance(p, str) for p in ev["consistency"]):
            raise TlogError(f"{label}: consistency is not a list of base64 hashes")
        consistency = [_hash(label, p) for p in ev["consistency"]]
    return Checked(leaf, index, cp, times, consistency)


def check_consistency(label, earlier, later):
    """§8.1 step 5: the `consistency` proof of `later` shows the tree of the earlier evidence's
    checkpoint is a prefix of the tree of its own. Returns the earlier size, or None when the
    file carries no proof (evidence written before it existed)."""
    if later.consistency is None:
        return None
    first, second = earlier.checkpoint, later.checkpoint
    try:
        tlog.verify_consistency(first.size, second.size, first.root, second.root,
                                later.consistency)
    except TlogError as exc:
        raise TlogError(f"{label}: consistency proof from checkpoint {first.size} to checkpoint "
                        f"{second.size} does not verify: {exc}") from None
    return first.size


def _hash(label, text):
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except ValueError:
        raise TlogError(f"{label}: proof hash {text!r} is not base64") from None
    if len(raw) != 32:
        raise TlogError(f"{label}: proof hash {text!r} is not 32 bytes")
    return raw


# --- the whole of §8.1 -----------------------------------------------------------------------


class BundleFacts:
    """What the evidence is compared with: the bundle's commitment (parsed) and its digest, the
    SHA-256 of entropy.json, the secret once revealed, and the manifest's plan/ entries."""

    def __init__(self, commitment, commitment_sha256, entropy_sha256, secret, plan_files):
        self.commitment = commitment
        self.commitment_sha256 = commitment_sha256
        self.entropy_sha256 = entropy_sha256
        self.secret = secret
        self.plan_files = plan_files


PAST_ENTROPY = ("prepared with --allow-past-entropy: the order of commitment and entropy "
                "is NOT proven")


def check(facts, files, keys, load_json):
    """Checks the evidence among `files` (bundle path -> bytes) and returns the summary's tail.

    `keys` are the keys given on the command line, or None to use `log/keys.json`."""
    past = facts.commitment.get("allow_past_entropy", False)
    if not any(rel in files for rel in EVIDENCE_FILES + (KEYS_FILE,)):
        return f"{PAST_ENTROPY}; no log evidence" if past else "no log evidence"
    if keys is None:
        if KEYS_FILE not in files:
            raise TlogError(f"{KEYS_FILE}: missing, and no --log-key given")
        keys = keys_from_file(files[KEYS_FILE], load_json)
    opening = "log/replan.json" if "replaces" in facts.commitment else "log/prepare.json"
    other = "log/prepare.json" if opening == "log/replan.json" else "log/replan.json"
    if other in files:
        raise TlogError(f"{other}: does not match the commitment (expected {opening})")
    if opening not in files:
        raise TlogError(f"{opening}: missing: the log evidence must include the commitment's leaf")
    event = opening[len("log/"):-len(".json")]
    first = check_file(opening, event, files[opening], facts, keys, load_json)
    parts = [f"logged in jurisdiction {first.leaf['jurisdiction']}: {event} leaf {first.index} "
             f"in checkpoint {first.checkpoint.size} cosigned by {len(first.times)} witnesses "
             f"(quorum {keys.quorum})"]
    if "log/run.json" in files:
        parts[0] += check_run(files["log/run.json"], facts, keys, load_json, event, first)
    parts.append(order_statement(facts.commitment, keys.quorum, first.times, past))
    note = " (from log/keys.json: compare it with the log's published key)" \
        if keys.origin == KEYS_FILE else ""
    parts.append(f"log key {tlog.verifier_key_string(keys.log)}{note}")
    return "; ".join(parts)


def check_run(data, facts, keys, load_json, event, opening):
    """log/run.json: a run leaf of the same jurisdiction, after the commitment's leaf, and, if
    it carries one, a consistency proof from the commitment's checkpoint to its own."""
    label = "log/run.json"
    run = check_file(label, "run", data, facts, keys, load_json)
    if run.leaf["jurisdiction"] != opening.leaf["jurisdiction"]:
        raise TlogError(f"{label}: jurisdiction {run.leaf['jurisdiction']!r} is not the "
                        f"{event} leaf's {opening.leaf['jurisdiction']!r}")
    if run.index <= opening.index:
        raise TlogError(f"{label}: run leaf {run.index} is not after the {event} leaf "
                        f"{opening.index}")
    consistent = check_consistency(label, opening, run)
    tail = "" if consistent is None else f" (consistent with checkpoint {consistent})"
    return f", run leaf {run.index} in checkpoint {run.checkpoint.size}{tail}"


def order_statement(commitment, quorum, times, past):
    """The commitment time, the sources' times, and whether the commitment came first (§7.4)."""
    sources = commitment["sources"]
    listed = ", ".join(f"{describe_source(s)} {utc(source_time(s))}" for s in sources)
    if quorum == 0:
        committed = "commitment time unattested (no witnesses)"
    else:
        committed = f"commitment time {utc(times[quorum - 1])}"
    if not sources:
        return f"{committed}; no sources of its own (entropy of the replaced draw)"
    first = min(source_time(s) for s in sources)
    if past:
        return f"{committed}; sources: {listed}; {PAST_ENTROPY}"
    if quorum == 0:
        return f"{committed}; sources: {listed}; the order is not attested"
    if times[quorum - 1] >= first:
        raise TlogError(
            f"log/prepare.json: commitment time {utc(times[quorum - 1])} is not before the first "
            f"source time {utc(first)}: the entropy may have been known when the commitment was made"
        )
    return f"{committed}, before the first source time {utc(first)}; sources: {listed}"
