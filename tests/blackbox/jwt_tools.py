"""JSON Web Tokens for black-box tests of authentication: read, forge and verify them.

Independent of sbapi's own code. Signing and verification use the `cryptography` package (it
comes with moto, which needs it for Cognito); `unavailable()` names it when it is missing, and
the suites that need it skip with that reason (fail under CI=true, see peers.require).

    key = rsa_private_key_from_jwk(jwk)            # e.g. moto's Cognito signing key
    token = sign_rs256({"kid": "dummy"}, claims, key)
    header, claims = decode(token)
    verify_es256(token, public_jwk)                # sbapi's local issuer
"""

import base64
import hashlib
import hmac
import json

__all__ = ["unavailable", "b64url", "b64url_decode", "decode", "encode_unsigned", "sign_rs256",
           "sign_hs256", "sign_es256", "verify_es256", "rsa_private_key_from_jwk",
           "rsa_public_pem", "new_rsa_key", "new_ec_key", "rsa_public_jwk", "ec_public_jwk",
           "token_of_length"]


def unavailable():
    """None when `cryptography` can be imported, else the reason."""
    try:
        import cryptography.hazmat.primitives.asymmetric.rsa  # noqa: F401
        import cryptography.hazmat.primitives.asymmetric.ec  # noqa: F401
    except ImportError as exc:
        return ("the Python package `cryptography` (installed with moto) is not importable: %s"
                % exc)
    return None


def b64url(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_segment(obj):
    if isinstance(obj, (bytes, str)):
        return b64url(obj)
    return b64url(json.dumps(obj, separators=(",", ":")))


def decode(token):
    """(header dict, claims dict) of a compact JWS, without verifying anything."""
    header, payload, _sig = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def encode_unsigned(header, claims, signature=b""):
    """header.payload.signature with the given (possibly empty) signature bytes."""
    return "%s.%s.%s" % (_json_segment(header), _json_segment(claims), b64url(signature))


def _signing_input(header, claims):
    return ("%s.%s" % (_json_segment(header), _json_segment(claims))).encode("ascii")


def sign_rs256(header, claims, private_key):
    """RS256 (RSASSA-PKCS1-v1_5, SHA-256). `header` gets alg=RS256 unless it names one."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    header = dict({"alg": "RS256"}, **header)
    data = _signing_input(header, claims)
    sig = private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return data.decode("ascii") + "." + b64url(sig)


def sign_hs256(header, claims, secret):
    """HS256 with `secret` (bytes): the algorithm-confusion attack when secret is a public key."""
    header = dict({"alg": "HS256"}, **header)
    data = _signing_input(header, claims)
    return data.decode("ascii") + "." + b64url(hmac.new(secret, data, hashlib.sha256).digest())


def sign_es256(header, claims, private_key):
    """ES256 (P-256, SHA-256) with the JWS R || S signature encoding."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    header = dict({"alg": "ES256"}, **header)
    data = _signing_input(header, claims)
    r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return data.decode("ascii") + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def verify_es256(token, jwk):
    """True when `token` is an ES256 JWS whose R || S signature verifies with the P-256 `jwk`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("not a P-256 JWK: %r" % (jwk,))
    x = int.from_bytes(b64url_decode(jwk["x"]), "big")
    y = int.from_bytes(b64url_decode(jwk["y"]), "big")
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    header_b64, payload_b64, sig_b64 = token.split(".")
    raw = b64url_decode(sig_b64)
    if len(raw) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, ("%s.%s" % (header_b64, payload_b64)).encode("ascii"),
                      ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def rsa_private_key_from_jwk(jwk):
    """A cryptography RSA private key from an RSA private JWK (n, e, d, and p/q when present)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    def num(name):
        return int.from_bytes(b64url_decode(jwk[name]), "big")

    n, e, d = num("n"), num("e"), num("d")
    if all(k in jwk for k in ("p", "q")):
        p, q = num("p"), num("q")
    else:
        p, q = rsa.rsa_recover_prime_factors(n, e, d)
    public = rsa.RSAPublicNumbers(e, n)
    return rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                 rsa.rsa_crt_iqmp(p, q), public).private_key()


def rsa_public_pem(private_or_public_key, pkcs1=False):
    """The PEM text (bytes) of an RSA public key: SubjectPublicKeyInfo, or PKCS#1 if asked."""
    from cryptography.hazmat.primitives import serialization
    public = getattr(private_or_public_key, "public_key", lambda: private_or_public_key)()
    fmt = (serialization.PublicFormat.PKCS1 if pkcs1
           else serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.public_bytes(serialization.Encoding.PEM, fmt)


def rsa_public_jwk(private_key, kid):
    numbers = private_key.public_key().public_numbers()
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": b64url(n), "e": b64url(e)}


def ec_public_jwk(private_key, kid):
    numbers = private_key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
            "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}


def new_rsa_key(bits=2048):
    from cryptography.hazmat.primitives.asymmetric import rsa
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def new_ec_key():
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP256R1())


def token_of_length(length, header, claims, sign, pad_claim="pad"):
    """A token of exactly `length` characters: `claims` plus a `pad_claim` string grown (and, if
    the payload cannot reach the length, a header member) until it fits. `sign(header, claims)`
    makes the token."""
    base = sign(header, dict(claims, **{pad_claim: ""}))
    if len(base) > length:
        raise ValueError("the token is already %d characters" % len(base))
    for header_pad in range(0, 8):
        h = dict(header, **({"x": "y" * header_pad} if header_pad else {}))
        approx = max(0, (length - len(base)) * 3 // 4 - 8)
        for extra in range(approx, approx + 16):
            token = sign(h, dict(claims, **{pad_claim: "p" * extra}))
            if len(token) == length:
                return token
            if len(token) > length:
                break
    raise ValueError("no token of exactly %d characters found" % length)
