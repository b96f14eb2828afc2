"""Transparency-log formats, verified with the Python standard library only.

- C2SP signed-note (c2sp.org/signed-note): notes, signature lines, key IDs, verifier keys
  (`name+hash+base64(type || key)`), Ed25519 signatures (type 0x01);
- C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): origin, tree size, root hash, extensions;
- C2SP tlog-cosignature v1 (c2sp.org/tlog-cosignature): timestamped Ed25519 cosignatures
  (type 0x04) over `cosignature/v1\\ntime T\\n` followed by the checkpoint's note text;
- RFC 6962 Merkle trees: leaf and node hashes, inclusion and consistency proofs (verified by
  the algorithms of RFC 9162, sections 2.1.3.2 and 2.1.4.2, which RFC 6962 proofs satisfy).

How dualdraw uses them is in `docs/log.md`; this module knows nothing of draws. Every failure
raises `TlogError` with a message naming what failed.
"""

import base64
import binascii
import hashlib

import ed25519

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
EM_DASH = "\u2014"


class TlogError(Exception):
    """A note, checkpoint, cosignature or proof that does not verify; the message says why."""


# --- signed notes -------------------------------------------------------------------------


def key_id(name, alg, public_key):
    """SHA-256(name || 0x0A || alg || public key)[:4] as a big-endian integer."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def valid_key_name(name):
    """Non-empty, no Unicode space, no '+'."""
    return name != "" and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text, what):
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise TlogError(f"{what}: not standard base64") from None


class Verifier:
    """A known key: its name, key ID, type and public key. `verify(text, sig)` checks the bytes
    after the key ID of a signature line; for a cosignature it also records the timestamp."""

    def __init__(self, name, alg, public_key):
        if not valid_key_name(name):
            raise TlogError(f"key name {name!r}: empty, or contains a space or '+'")
        if alg not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise TlogError(f"key {name}: unknown signature type 0x{alg:02x}")
        if len(public_key) != 32:
            raise TlogError(f"key {name}: an Ed25519 public key is 32 bytes, got {len(public_key)}")
        self.name = name
        self.alg = alg
        self.public_key = public_key
        self.key_id = key_id(name, alg, public_key)

    def label(self):
        return f"{self.name}+{self.key_id:08x}"

    def verify(self, text, sig):
        """Whether `sig` (the signature bytes after the key ID) signs the note text `text`.
        Returns the cosignature's timestamp for type 0x04, True for type 0x01, else None."""
        if self.alg == ALG_ED25519:
            return True if ed25519.verify(self.public_key, text, sig) else None
        if len(sig) != 72:
            return None
        timestamp = int.from_bytes(sig[:8], "big")
        if timestamp >= 2**63:
            return None
        message = cosignature_message(timestamp, text)
        return timestamp if ed25519.verify(self.public_key, message, sig[8:]) else None


def parse_verifier_key(vkey):
    """A verifier key string `name+hash+base64(type || public key)` to a Verifier."""
    parts = vkey.split("+", 2)  # the base64 key may itself contain '+'
    if len(parts) != 3:
        raise TlogError(f"verifier key {vkey!r}: expected NAME+HASH+KEY")
    name, hash_hex, key_b64 = parts
    if len(hash_hex) != 8 or any(c not in "0123456789abcdef" for c in hash_hex):
        raise TlogError(f"verifier key {vkey!r}: the key hash is not 8 lower-case hex digits")
    key = _b64decode(key_b64, f"verifier key {vkey!r}")
    if len(key) < 1:
        raise TlogError(f"verifier key {vkey!r}: no key")
    v = Verifier(name, key[0], key[1:])
    if v.key_id != int(hash_hex, 16):
        raise TlogError(
            f"verifier key {vkey!r}: key hash {hash_hex} does not match the key "
            f"(computed {v.key_id:08x})"
        )
    return v


def verifier_key_string(v):
    """The verifier key string of a Verifier (inverse of parse_verifier_key)."""
    key = base64.b64encode(bytes([v.alg]) + v.public_key).decode()
    return f"{v.name}+{v.key_id:08x}+{key}"


class Signature:
    """One signature line: key name, key ID, and the signature bytes after the key ID."""

    def __init__(self, name, key_id_value, sig, line):
        self.name = name
        self.key_id = key_id_value
        self.sig = sig
        self.line = line

    def label(self):
        return f"{self.name}+{self.key_id:08x}"


class Note:
    """A parsed signed note: its text (bytes, with the final newline) and its signature lines."""

    def __init__(self, text, signatures):
        self.text = text
        self.signatures = signatures


def parse_note(data):
    """Splits a signed note into text and signature lines; checks the syntax only."""
    if isinstance(data, str):
        data = data.encode()
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TlogError("malformed note: not valid UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in decoded):
        raise TlogError("malformed note: a control character other than newline")
    if not decoded.endswith("\n"):
        raise TlogError("malformed note: does not end with a newline")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise TlogError("malformed note: no blank line before the signatures")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise TlogError("malformed note: no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise TlogError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    signatures = [_parse_signature_line(line) for line in lines]
    return Note(text.encode(), signatures)


def _parse_signature_line(line):
    prefix = EM_DASH + " "
    if not line.startswith(prefix):
        raise TlogError(f"malformed note: signature line {line!r} does not start with '— '")
    rest = line[len(prefix) :]
    fields = rest.split(" ")
    if len(fields) != 2:
        raise TlogError(f"malformed note: signature line {line!r} is not '— NAME SIGNATURE'")
    name, sig_b64 = fields
    if not valid_key_name(name):
        raise TlogError(f"malformed note: key name {name!r} in a signature line")
    raw = _b64decode(sig_b64, f"signature of {name}")
    if len(raw) < 5:
        raise TlogError(f"malformed note: signature of {name} is too short")
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:], line)


def open_note(data, verifiers):
    """Parses a note and verifies it against `verifiers` (a list of Verifier).

    Signatures of unknown keys (name and key ID not both known) are ignored; a signature of a
    known key that fails is an error naming the key; at least one known signature must verify.
    Returns (note, {label: result}) where result is True (Ed25519) or the cosignature's time.
    """
    note = parse_note(data)
    known = {}
    for v in verifiers:
        if v.label() in known:
            raise TlogError(f"ambiguous key {v.label()}")
        known[v.label()] = v
    verified = {}
    for s in note.signatures:
        v = known.get(s.label())
        if v is None or s.label() in verified:
            continue
        result = v.verify(note.text, s.sig)
        if result is None:
            raise TlogError(f"invalid signature for key {s.label()}")
        verified[s.label()] = result
    if not verified:
        raise TlogError("note has no verifiable signatures")
    return note, verified


def sign_note(text, signers):
    """A signed note of `text` (bytes ending in newline) by (Verifier, secret key) pairs;
    for type 0x04 the pair is (Verifier, secret key, timestamp). Used by the tests."""
    lines = []
    for signer in signers:
        v, seed = signer[0], signer[1]
        if v.alg == ALG_ED25519:
            sig = ed25519.sign(seed, text)
        else:
            timestamp = signer[2]
            sig = timestamp.to_bytes(8, "big") + ed25519.sign(
                seed, cosignature_message(timestamp, text)
            )
        blob = base64.b64encode(v.key_id.to_bytes(4, "big") + sig).decode()
        lines.append(f"{EM_DASH} {v.name} {blob}\n")
    return text + b"\n" + "".join(lines).encode()


# --- checkpoints and cosignatures ------------------------------------------------------------


class Checkpoint:
    """The note text of a tlog-checkpoint: origin, tree size, root hash (32 bytes), extensions."""

    def __init__(self, origin, size, root, extensions):
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions


def parse_checkpoint(text):
    """Parses a checkpoint's note text (bytes, ending in newline)."""
    lines = text.decode("utf-8").split("\n")
    if lines[-1] != "" or len(lines) < 4:
        raise TlogError("checkpoint: fewer than three lines, or no final newline")
    lines = lines[:-1]
    origin, size_text, root_text, extensions = lines[0], lines[1], lines[2], lines[3:]
    if origin == "":
        raise TlogError("checkpoint: empty origin line")
    if not size_text.isascii() or not size_text.isdigit():
        raise TlogError(f"checkpoint: tree size {size_text!r} is not a decimal number")
    if size_text != "0" and size_text.startswith("0"):
        raise TlogError(f"checkpoint: tree size {size_text!r} has a leading zero")
    size = int(size_text)
    if size >= 2**64:
        raise TlogError(f"checkpoint: tree size {size_text} does not fit 64 bits")
    root = _b64decode(root_text, "checkpoint root hash")
    if len(root) != 32:
        raise TlogError(f"checkpoint: root hash is {len(root)} bytes, not 32")
    if any(e == "" for e in extensions):
        raise TlogError("checkpoint: empty extension line")
    return Checkpoint(origin, size, root, extensions)


def cosignature_message(timestamp, text):
    """The message a tlog-cosignature/v1 signs: two header lines, then the checkpoint text."""
    return b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + text


# --- RFC 6962 Merkle trees -------------------------------------------------------------------


def leaf_hash(data):
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, path):
    """The root an inclusion proof of leaf hash `leaf` at `index` in a tree of `size` leads to."""
    if index >= size:
        raise TlogError(f"inclusion proof: leaf index {index} is not below tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if len(p) != 32:
            raise TlogError("inclusion proof: a hash is not 32 bytes")
        if sn == 0:
            raise TlogError("inclusion proof: too many hashes for the tree size")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise TlogError("inclusion proof: too few hashes for the tree size")
    return r


def verify_inclusion(index, size, leaf, path, root):
    """Raises TlogError unless `path` proves leaf hash `leaf` at `index` under `root`."""
    if root_from_inclusion(index, size, leaf, path) != root:
        raise TlogError(
            f"inclusion proof: leaf {index} of tree size {size} does not lead to the root"
        )


def verify_consistency(size1, size2, root1, root2, path):
    """Raises TlogError unless `path` proves the tree (size1, root1) a prefix of (size2, root2)."""
    if size1 > size2:
        raise TlogError(f"consistency proof: tree size {size2} is smaller than {size1}")
    if size1 == size2:
        if path:
            raise TlogError("consistency proof: must be empty for equal tree sizes")
        if root1 != root2:
            raise TlogError(f"consistency proof: two different roots for tree size {size1}")
        return
    if size1 == 0:
        if path:
            raise TlogError("consistency proof: must be empty from the empty tree")
        return
    if not path:
        raise TlogError("consistency proof: empty")
    if any(len(p) != 32 for p in path):
        raise TlogError("consistency proof: a hash is not 32 bytes")
    if size1 & (size1 - 1) == 0:
        path = [root1] + list(path)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise TlogError("consistency proof: too many hashes")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise TlogError("consistency proof: too few hashes")
    if fr != root1:
        raise TlogError(f"consistency proof: does not lead to the root of tree size {size1}")
    if sr != root2:
        raise TlogError(f"consistency proof: does not lead to the root of tree size {size2}")
