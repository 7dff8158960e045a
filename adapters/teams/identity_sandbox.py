"""A local stand-in for the Microsoft identity endpoints a Bot Framework bot talks to.

- `GET /v1/.well-known/openidconfiguration` and `GET /v1/.well-known/keys`: what
  login.botframework.com publishes, the keys (with their channel endorsements) that sign the
  tokens the Bot Connector puts on every request to the bot. `channel_token` makes such a token.
- `POST /{tenant}/oauth2/v2.0/token`: Microsoft Entra ID's client-credentials grant, where the
  bot gets the token it presents to the connector. Apps are registered multi-tenant (tokens from
  the botframework.com tenant) or single-tenant (from their own tenant only), and it answers
  Entra's errors (unknown app, wrong secret, wrong scope). `check_app_token` is what the
  connector stand-in (`TeamsSandbox(authorize=...)`) asks of every call.

Shapes follow "Authentication with the Bot Connector API" (learn.microsoft.com, bot-service
rest-api/bot-framework-rest-connector-authentication): the metadata document, JWKs with `kid`
= `x5t`, `x5c` and `endorsements`, and channel tokens with `iss`, `aud`, `serviceurl`, `nbf`,
`exp`; Entra v1 access tokens for `https://api.botframework.com` carry `appid`, `tid`, `ver`.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm

from okrbot.adapters.stand_in_server import StandInServer

# The public cloud's Bot Connector: the issuer of its tokens and the audience of the bot's.
PUBLIC_CLOUD_ISSUER = "https://api.botframework.com"
# The directory behind login.microsoftonline.com/botframework.com, where multi-tenant bots
# get their tokens.
BOTFRAMEWORK_TENANT = "botframework.com"
BOTFRAMEWORK_TENANT_ID = "d6d49420-f39b-4df7-a1dc-d59a935871db"
# The real keys list many channels; the Teams channel id is what matters to okrbot.
DEFAULT_ENDORSEMENTS = ("msteams", "webchat", "emulator")
TOKEN_LIFETIME_SECONDS = 3599
CLOCK_SKEW_SECONDS = 300


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class KeyPair:
    """An RS256 signing key with its self-signed certificate; `kid` is the certificate's x5t."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    endorsements: tuple[str, ...] = DEFAULT_ENDORSEMENTS

    @classmethod
    def generate(cls, endorsements: tuple[str, ...] = DEFAULT_ENDORSEMENTS) -> KeyPair:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "login.botframework.com")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate, tuple(endorsements))

    @property
    def kid(self) -> str:
        return _b64url(self.certificate.fingerprint(hashes.SHA1()))

    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": public["n"],
            "e": public["e"],
            "x5c": [base64.b64encode(der).decode()],
            "endorsements": list(self.endorsements),
        }

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        headers = {"typ": "JWT", "x5t": self.kid, "kid": kid or self.kid}
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)


@dataclass(frozen=True)
class RegisteredApp:
    app_id: str
    password: str
    tenant_id: str | None  # None: multi-tenant


@dataclass
class IdentitySandbox(StandInServer):
    """Start it, point okrbot's OKRBOT_BOTFRAMEWORK_OPENID_URL and _TOKEN_URL at it."""

    clock: Callable[[], float] = time.time
    issuer: str = PUBLIC_CLOUD_ISSUER
    # Where multi-tenant bots get their tokens (the US Government cloud's is
    # MicrosoftServices.onmicrosoft.us).
    channel_tenant: str = BOTFRAMEWORK_TENANT
    token_lifetime: int = TOKEN_LIFETIME_SECONDS
    published: list[KeyPair] = field(default_factory=list)
    apps: dict[str, RegisteredApp] = field(default_factory=dict)
    # Every request, as (method, path), and every token issued to an app, in order.
    requests: list[tuple[str, str]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.published:
            self.published.append(KeyPair.generate())
        # Entra ID signs app tokens with its own keys, not the Bot Connector's.
        self.entra_key = KeyPair.generate(endorsements=())
        self._revoked: set[str] = set()
        self._base = ""

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> IdentitySandbox:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self._base = f"http://{host}:{await self._serve(app, host, port)}"
        return self

    @property
    def openid_url(self) -> str:
        return f"{self._base}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        """With `{tenant}` left in, as OKRBOT_BOTFRAMEWORK_TOKEN_URL takes it."""
        return f"{self._base}/{{tenant}}/oauth2/v2.0/token"

    def fetches(self, path_suffix: str) -> int:
        return sum(1 for _, path in self.requests if path.endswith(path_suffix))

    # Set-up ---------------------------------------------------------------------------------

    def register_app(self, app_id: str, password: str, tenant_id: str | None = None) -> None:
        self.apps[app_id] = RegisteredApp(app_id, password, tenant_id)

    def rotate_keys(self, *, keep_old: bool = False) -> KeyPair:
        """Publish a new signing key and sign with it from now on (Microsoft rotates them)."""
        key = KeyPair.generate()
        self.published[:] = ([*self.published] if keep_old else []) + [key]
        return key

    def revoke_app_tokens(self) -> None:
        """The connector refuses every app token issued so far, expired or not."""
        self._revoked.update(self.issued)

    # Tokens ---------------------------------------------------------------------------------

    @property
    def signing_key(self) -> KeyPair:
        return self.published[-1]

    def channel_token(
        self,
        app_id: str,
        service_url: str,
        *,
        signed_with: KeyPair | None = None,
        kid: str | None = None,
        lifetime: float = 3600,
        not_before: float | None = None,
        **claims: Any,
    ) -> str:
        """A token as the Bot Connector puts on its requests to the bot; `claims` override."""
        now = self.clock()
        body: dict[str, Any] = {
            "serviceurl": service_url,
            "nbf": int(now - CLOCK_SKEW_SECONDS if not_before is None else not_before),
            "exp": int(now + lifetime),
            "iss": self.issuer,
            "aud": app_id,
            **claims,
        }
        return (signed_with or self.signing_key).sign(body, kid)

    def check_app_token(self, authorization: str | None) -> str | None:
        """Why the connector would refuse this Authorization header, or None if it accepts it."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "Bearer" or not token:
            return "no bearer token"
        if token in self._revoked:
            return "the token was revoked"
        try:
            claims = jwt.decode(
                token,
                self.entra_key.private_key.public_key(),
                algorithms=["RS256"],
                audience=self.issuer,
                options={"require": ["exp", "aud", "iss"], "verify_exp": False},
            )
        except jwt.PyJWTError as error:
            return f"invalid token: {error}"
        if claims["exp"] < self.clock() - CLOCK_SKEW_SECONDS:
            return "the token has expired"
        if claims.get("appid") not in self.apps:
            return "the token is not for a registered bot"
        return None

    def _app_token(self, app: RegisteredApp, tenant_id: str) -> str:
        now = int(self.clock())
        issuer = f"https://sts.windows.net/{tenant_id}/"
        principal = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{app.app_id}"))
        claims = {
            "aud": self.issuer,
            "iss": issuer,
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "appid": app.app_id,
            "appidacr": "1",
            "idp": issuer,
            "oid": principal,
            "sub": principal,
            "tid": tenant_id,
            "uti": _b64url(uuid.uuid4().bytes),
            "ver": "1.0",
        }
        token = self.entra_key.sign(claims)
        self.issued.append(token)
        return token

    # HTTP -----------------------------------------------------------------------------------

    async def _metadata(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{self._base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        return web.json_response({"keys": [key.jwk() for key in self.published]})

    async def _token(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        tenant = request.match_info["tenant"]
        if request.content_type != "application/x-www-form-urlencoded":
            return _entra_error(400, "invalid_request", 900144, "The request body must be a form.")
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return _entra_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        app = self.apps.get(str(form.get("client_id", "")))
        home = (app.tenant_id if app else None) or self.channel_tenant
        if app is None or tenant not in (home, _tenant_id(home)):
            return _entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory '{tenant}'.",
            )
        if form.get("client_secret") != app.password:
            return _entra_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != f"{self.issuer}/.default":
            return _entra_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {form.get('scope')} is not valid.",
            )
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": self._app_token(app, _tenant_id(home)),
            }
        )


def _tenant_id(tenant: str) -> str:
    return BOTFRAMEWORK_TENANT_ID if tenant == BOTFRAMEWORK_TENANT else tenant


def _entra_error(status: int, error: str, code: int, description: str) -> web.Response:
    """Entra ID's error body: an AADSTS code in the description, trace and correlation ids."""
    return web.json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}",
            "error_codes": [code],
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status=status,
    )
