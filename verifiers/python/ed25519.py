"""Ed25519 (RFC 8032, section 5.1), written from the RFC with the Python standard library only.

Python 3.11's standard library has no Ed25519, and the verifier must not need `pip install`.
`verify` follows RFC 8032 section 5.1.7 step by step, including its strict decoding rules
(5.1.3: a coordinate y >= p is refused; 5.1.7: S >= L is refused) and the cofactored group
equation [8][S]B = [8]R + [8][k]A'. `sign` (5.1.6) and `public_key` (5.1.5) exist for the tests,
which must make signatures the verifier refuses (a forged cosignature, a wrong key).

Not constant time: this module only ever handles public values (signatures, public keys);
nobody should sign with a real secret key through it.
"""

import hashlib

# Curve constants of edwards25519 (RFC 8032, section 5.1).
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # order of the base point
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

# Points are extended homogeneous coordinates (X, Y, Z, T): x = X/Z, y = Y/Z, x*y = T/Z.
IDENTITY = (0, 1, 1, 0)


def _sha512_int(data):
    return int.from_bytes(hashlib.sha512(data).digest(), "little")


def point_add(p, q):
    """Addition on edwards25519 (RFC 8032, section 5.1.4), complete for all inputs."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_mul(scalar, point):
    """[scalar]point by double-and-add."""
    result = IDENTITY
    while scalar > 0:
        if scalar & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        scalar >>= 1
    return result


def point_equal(p, q):
    """x1/z1 == x2/z2 and y1/z1 == y2/z2."""
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _recover_x(y, sign):
    """The x coordinate of the point with this y and sign bit (RFC 8032, section 5.1.3), or None."""
    if y >= P:
        return None
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    vx2 = v * x * x % P
    if vx2 == u:
        pass
    elif vx2 == (-u) % P:
        x = x * SQRT_M1 % P
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def decode_point(encoded):
    """A 32-byte point encoding to a point, or None if it is not a valid encoding."""
    if len(encoded) != 32:
        return None
    n = int.from_bytes(encoded, "little")
    sign = n >> 255
    y = n & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def encode_point(point):
    """The 32-byte encoding of a point (RFC 8032, section 5.1.2)."""
    zinv = pow(point[2], P - 2, P)
    x = point[0] * zinv % P
    y = point[1] * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


# The base point B: y = 4/5, x positive (even).
_BY = 4 * pow(5, P - 2, P) % P
B = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % P)


def verify(public_key, message, signature):
    """Whether `signature` (64 bytes) is a valid Ed25519 signature of `message` by `public_key`
    (32 bytes), by RFC 8032 section 5.1.7."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = decode_point(public_key)
    if a is None:
        return False
    r = decode_point(signature[:32])
    if r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = _sha512_int(signature[:32] + public_key + message) % L
    left = point_mul(8 * s, B)
    right = point_add(point_mul(8, r), point_mul(8 * k, a))
    return point_equal(left, right)


def _expand(seed):
    if len(seed) != 32:
        raise ValueError("an Ed25519 secret key is 32 bytes")
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed):
    """The public key of a 32-byte secret key (RFC 8032, section 5.1.5)."""
    a, _ = _expand(seed)
    return encode_point(point_mul(a, B))


def sign(seed, message):
    """The Ed25519 signature of `message` by the 32-byte secret key `seed` (RFC 8032, 5.1.6)."""
    a, prefix = _expand(seed)
    pub = encode_point(point_mul(a, B))
    r = _sha512_int(prefix + message) % L
    big_r = encode_point(point_mul(r, B))
    k = _sha512_int(big_r + pub + message) % L
    s = (r + k * a) % L
    return big_r + int.to_bytes(s, 32, "little")
