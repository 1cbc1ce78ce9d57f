"""A Cognito user pool on moto's server (peers.Moto): the token issuer of the auth suites.

Nobody here wrote it: moto's cognito-idp makes the pool, the app client, users and groups, and
signs real ID and access tokens (RS256, kid "dummy") with the key it publishes at
<moto>/<pool id>/.well-known/jwks.json. The tokens' `iss` names AWS
(https://cognito-idp.us-east-1.amazonaws.com/<pool id>), so a server must be given the JWKS URL
at moto explicitly.

    moto = Moto.start()
    pool = CognitoPool.create(moto, users=["alice", "bob"], admins=["carol"])
    pool.tokens["alice"].id_token, .access_token, .sub
    pool.serve_args()  # --auth jwt --jwt-issuer … --jwt-audience <client id> --jwks-url …

moto also ships the private half of that key (moto/cognitoidp/resources/jwks-private.json[.gz]):
`moto_signing_key()` loads it, so tests can sign tokens with chosen claims (expired, another
issuer, …) that only the claims make invalid.

boto3 is imported lazily (moto depends on it, so it is there whenever moto is importable).
"""

import collections
import gzip
import importlib.util
import json
import os
import uuid

from jwt_tools import rsa_private_key_from_jwk

__all__ = ["CognitoPool", "Tokens", "moto_signing_key", "moto_public_jwks", "unavailable",
           "REGION", "MOTO_KID"]

REGION = "us-east-1"
MOTO_KID = "dummy"
PASSWORD = "Secret-Passw0rd!"

Tokens = collections.namedtuple("Tokens", "username sub id_token access_token")


def unavailable():
    """None when boto3 and moto's Cognito key files can be found, else the reason."""
    if importlib.util.find_spec("boto3") is None:
        return "boto3 is not importable (it comes with moto[server] 5)"
    try:
        _moto_resource("jwks-private.json")
    except OSError as exc:
        return str(exc)
    return None


def _moto_resource(name):
    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        raise OSError("moto is not importable")
    folder = os.path.join(list(spec.submodule_search_locations)[0], "cognitoidp", "resources")
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(path, "rb") as f:
                return json.loads(f.read().decode("utf-8"))
    raise OSError("moto's Cognito key file %s(.gz) is not in %s" % (name, folder))


def _single_key(doc):
    keys = doc["keys"] if "keys" in doc else [doc]
    if len(keys) != 1:
        raise ValueError("expected one key in moto's JWKS, found %d" % len(keys))
    return keys[0]


def moto_signing_key():
    """moto's Cognito RS256 signing key (a cryptography RSA private key), kid "dummy"."""
    jwk = _single_key(_moto_resource("jwks-private.json"))
    if jwk.get("kid") != MOTO_KID:
        raise ValueError("moto's signing key has kid %r, expected %r" % (jwk.get("kid"), MOTO_KID))
    return rsa_private_key_from_jwk(jwk)


def moto_public_jwks():
    """The JWKS document moto publishes for every pool (dict)."""
    return _moto_resource("jwks-public.json")


class CognitoPool:
    """A user pool, an app client allowing ADMIN_NO_SRP_AUTH, an `admin` group, users."""

    def __init__(self, moto, client, pool_id, client_id):
        self.moto = moto
        self.client = client
        self.pool_id = pool_id
        self.client_id = client_id
        self.tokens = {}

    @classmethod
    def create(cls, moto, users=(), admins=(), admin_group="admin"):
        import boto3
        client = boto3.client("cognito-idp", region_name=REGION, endpoint_url=moto.endpoint,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        pool_id = client.create_user_pool(PoolName="sbapi-" + uuid.uuid4().hex[:8])["UserPool"]["Id"]
        client_id = client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="sbapi-tests",
            ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"])["UserPoolClient"]["ClientId"]
        pool = cls(moto, client, pool_id, client_id)
        client.create_group(GroupName=admin_group, UserPoolId=pool_id)
        for name in users:
            pool.add_user(name)
        for name in admins:
            pool.add_user(name, groups=[admin_group])
        return pool

    @property
    def issuer(self):
        return "https://cognito-idp.%s.amazonaws.com/%s" % (REGION, self.pool_id)

    @property
    def jwks_url(self):
        return "%s/%s/.well-known/jwks.json" % (self.moto.endpoint, self.pool_id)

    def serve_args(self, audience=None, jwks_url=None):
        """`sbapi serve` arguments that trust this pool's tokens for its app client."""
        return ["--auth", "jwt", "--jwt-issuer", self.issuer,
                "--jwt-audience", audience or self.client_id,
                "--jwks-url", jwks_url or self.jwks_url]

    def add_user(self, username, groups=()):
        """Creates the user (permanent password), adds it to `groups`, signs it in: its Tokens."""
        self.client.admin_create_user(UserPoolId=self.pool_id, Username=username,
                                      MessageAction="SUPPRESS")
        self.client.admin_set_user_password(UserPoolId=self.pool_id, Username=username,
                                            Password=PASSWORD, Permanent=True)
        for group in groups:
            self.client.admin_add_user_to_group(UserPoolId=self.pool_id, Username=username,
                                                GroupName=group)
        self.tokens[username] = self.sign_in(username)
        return self.tokens[username]

    def add_client(self, name="another-app"):
        """Another app client of this pool (its id): its tokens name it, not `client_id`."""
        return self.client.create_user_pool_client(
            UserPoolId=self.pool_id, ClientName=name,
            ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"])["UserPoolClient"]["ClientId"]

    def sign_in(self, username, client_id=None):
        """Fresh tokens for `username` (ADMIN_NO_SRP_AUTH) from this pool's app client, or from
        `client_id`."""
        result = self.client.admin_initiate_auth(
            UserPoolId=self.pool_id, ClientId=client_id or self.client_id,
            AuthFlow="ADMIN_NO_SRP_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})["AuthenticationResult"]
        sub = None
        for attr in self.client.admin_get_user(UserPoolId=self.pool_id,
                                               Username=username)["UserAttributes"]:
            if attr["Name"] == "sub":
                sub = attr["Value"]
        return Tokens(username, sub, result["IdToken"], result["AccessToken"])
