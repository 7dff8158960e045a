"""Bot Framework authentication both ways, with endpoints an operator (or a test) can move.

Inbound, botbuilder's own validation runs (issuer, audience, service URL, expiry, signature,
endorsements), configured through `BotFrameworkAuthenticationFactory`'s parameters so that the
OpenID metadata URL is `OKRBOT_BOTFRAMEWORK_OPENID_URL`. Its signing keys come from
`SigningKeys` rather than botbuilder 4.17's own cache, which fetches with blocking `requests`
on the event loop and answers a key id it has not seen with an IndexError instead of fetching
the keys again, so a key Microsoft rotated in would be refused until the next daily refresh.

Outbound, botbuilder's `MicrosoftAppCredentials` builds a new MSAL application, with an empty
token cache, for every connector client (every turn), and MSAL only talks to an https authority
it can discover. `AppTokens` does the same OAuth 2.0 client-credentials request MSAL sends, to
`OKRBOT_BOTFRAMEWORK_TOKEN_URL`, keeps the token until shortly before it expires, and asks for a
new one once when the connector answers 401.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp
import jwt
import requests
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    BotFrameworkAuthenticationFactory,
    GovernmentConstants,
    ServiceClientCredentialsFactory,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

from okrbot.bot.settings import Settings

log = logging.getLogger(__name__)

MULTI_TENANT = AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
# What botbuilder stamps on inbound activities as `callerId`, by the cloud's issuer.
PUBLIC_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
US_GOVERNMENT_ISSUER = GovernmentConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
CALLER_IDS = {
    PUBLIC_ISSUER: CallerIdConstants.public_azure_channel,
    US_GOVERNMENT_ISSUER: CallerIdConstants.us_gov_channel,
}

# botbuilder's own schedule: keys are fetched again once a day.
KEYS_MAX_AGE_SECONDS = 24 * 3600
# A key id nobody has seen triggers a fetch, but not more often than this: anyone can send one.
UNKNOWN_KEY_REFETCH_SECONDS = 300
# MSAL's margin: a token is replaced this long before it expires.
TOKEN_REFRESH_MARGIN_SECONDS = 300
HTTP_TIMEOUT_SECONDS = 10.0

Now = Callable[[], float]


class SigningKeysUnavailable(ConnectionError):
    """Bot Framework's signing keys could not be fetched (and none are cached)."""


class TokenUnavailable(PermissionError):
    """The token endpoint refused to issue an app token (wrong secret, unknown app, ...)."""


@dataclass(frozen=True)
class SigningKey:
    """What botbuilder's JwtTokenExtractor reads from its metadata: the key and endorsements."""

    public_key: Any
    endorsements: list[str]


class SigningKeys:
    """The OpenID metadata's keys, by key id; botbuilder's JwtTokenExtractor calls `get`."""

    def __init__(self, metadata_url: str, *, now: Now = time.time) -> None:
        self.metadata_url = metadata_url
        self.now = now
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    def install(self) -> None:
        """Have botbuilder use these keys for tokens checked against `metadata_url`.

        botbuilder looks its metadata up in `JwtTokenExtractor.metadataCache` by URL before it
        makes its own.
        """
        JwtTokenExtractor.metadataCache[self.metadata_url] = self

    async def get(self, key_id: str | None) -> SigningKey:
        if self._stale(key_id):
            async with self._lock:
                if self._stale(key_id):
                    await self._refresh()
        key = self._keys.get(key_id or "")
        if key is None:
            raise PermissionError(f"the token's key id {key_id!r} is not in the signing keys")
        return key

    def _stale(self, key_id: str | None) -> bool:
        if self._fetched_at is None:
            return True
        age = self.now() - self._fetched_at
        if age >= KEYS_MAX_AGE_SECONDS:
            return True
        return (key_id or "") not in self._keys and age >= UNKNOWN_KEY_REFETCH_SECONDS

    async def _refresh(self) -> None:
        attempted = self.now()
        try:
            timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_SECONDS)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                metadata = await _json(session, self.metadata_url)
                document = await _json(session, str(metadata["jwks_uri"]))
            keys = dict(_signing_keys(document["keys"]))
        except (aiohttp.ClientError, TimeoutError, KeyError, TypeError, ValueError) as error:
            if not self._keys:
                raise SigningKeysUnavailable(
                    f"could not read Bot Framework's signing keys from {self.metadata_url}: "
                    f"{error!r}"
                ) from error
            # Keep the keys we have (Microsoft.IdentityModel does the same) and try again later.
            log.warning("could not refresh Bot Framework's signing keys: %r", error)
            self._fetched_at = attempted
            return
        self._keys, self._fetched_at = keys, attempted
        log.info("read %d Bot Framework signing key(s) from %s", len(keys), self.metadata_url)


def _signing_keys(jwks: list[Any]) -> Iterator[tuple[str, SigningKey]]:
    """The usable RSA keys of a JWKS `keys` list; one malformed key does not hide the rest."""
    for jwk in jwks:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(jwk)
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            log.warning("skipped Bot Framework signing key %r: %r", jwk.get("kid"), error)
            continue
        yield str(jwk["kid"]), SigningKey(public_key, list(jwk.get("endorsements") or []))


async def _json(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json(content_type=None)


class AppTokens:
    """The app's client-credentials tokens for one scope, kept until shortly before expiry.

    `get` is synchronous and thread-safe: msrest asks for credentials from worker threads.
    """

    def __init__(
        self, *, token_url: str, app_id: str, password: str, scope: str, now: Now = time.time
    ) -> None:
        self.token_url = token_url
        self.app_id = app_id
        self.scope = scope if scope.endswith("/.default") else scope.rstrip("/") + "/.default"
        self.now = now
        self._password = password
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def get(self, *, refused: str | None = None) -> str:
        """A valid token; a new one if `refused` (the token the connector just refused) is
        still the cached one."""
        with self._lock:
            if self._token is None or self.now() >= self._renew_at or self._token == refused:
                self._token, self._renew_at = self._fetch()
            return self._token

    def _fetch(self) -> tuple[str, float]:
        asked_at = self.now()
        response = requests.post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.app_id,
                "client_secret": self._password,
                "scope": self.scope,
            },
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str):
            detail = body.get("error_description") or body.get("error") if body else None
            raise TokenUnavailable(
                f"{self.token_url} gave no Bot Framework token for app {self.app_id}: "
                f"HTTP {response.status_code} {detail or response.reason}"
            )
        try:
            lifetime = float(body.get("expires_in", 0))
        except (TypeError, ValueError):
            lifetime = 0.0
        log.info("got a Bot Framework token for app %s (%.0f s)", self.app_id, lifetime)
        return token, asked_at + lifetime - TOKEN_REFRESH_MARGIN_SECONDS


class _BearerAuth(requests.auth.AuthBase):
    """Puts the app token on each connector request, and on a 401 retries once with a new one.

    It runs where requests sends (msrest's worker thread), not on the event loop.
    """

    def __init__(self, tokens: AppTokens) -> None:
        self.tokens = tokens

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.tokens.get()}"
        request.register_hook("response", self._retry_once_on_401)
        return request

    def _retry_once_on_401(self, response: requests.Response, **send: Any) -> requests.Response:
        if response.status_code != 401:
            return response
        sent = response.request.headers.get("Authorization", "")
        token = self.tokens.get(refused=sent.removeprefix("Bearer "))
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Bearer {token}"
        response.content  # noqa: B018 - read it, so the connection can be reused
        response.close()
        # The adapter sends without running hooks, so a second 401 is final (as in requests'
        # HTTPDigestAuth).
        again = response.connection.send(retry, **send)
        again.history.append(response)
        again.request = retry
        return again


class BotFrameworkCredentials(AppCredentials):
    """botbuilder's credentials interface over `AppTokens`."""

    def __init__(self, tokens: AppTokens, tenant: str) -> None:
        super().__init__(app_id=tokens.app_id, channel_auth_tenant=tenant, oauth_scope=tokens.scope)
        self.tokens = tokens

    def get_access_token(self, force_refresh: bool = False) -> str:
        current = self.tokens.get()
        return self.tokens.get(refused=current) if force_refresh else current

    def signed_session(self, session: requests.Session | None = None) -> requests.Session:
        session = session or requests.Session()
        session.headers.pop("Authorization", None)
        session.auth = _BearerAuth(self.tokens)
        return session


class AppCredentialsFactory(ServiceClientCredentialsFactory):
    """One `BotFrameworkCredentials` per scope for the whole process, so tokens are reused."""

    def __init__(
        self,
        *,
        app_id: str,
        password: str,
        tenant: str,
        token_url: str,
        scope: str,
        now: Now = time.time,
    ) -> None:
        self.app_id = app_id
        self.scope = scope
        self.tenant = tenant
        self.token_url = token_url.replace("{tenant}", tenant)
        self.now = now
        self._password = password
        self._credentials: dict[str, BotFrameworkCredentials] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> BotFrameworkCredentials:
        if app_id != self.app_id:
            raise PermissionError(f"no credentials for app {app_id!r}")
        return self._for(oauth_scope or self.scope)

    def connector_tokens(self) -> AppTokens:
        """The tokens okrbot presents to the connector (the ones turns and sends use)."""
        return self._for(self.scope).tokens

    def _for(self, scope: str) -> BotFrameworkCredentials:
        if scope not in self._credentials:
            tokens = AppTokens(
                token_url=self.token_url,
                app_id=self.app_id,
                password=self._password,
                scope=scope,
                now=self.now,
            )
            self._credentials[scope] = BotFrameworkCredentials(tokens, self.tenant)
        return self._credentials[scope]


def app_credentials(settings: Settings, *, now: Now = time.time) -> AppCredentialsFactory | None:
    """The app's credentials for the connector; None without an app id (dev mode)."""
    if not settings.microsoft_app_id:
        return None
    return AppCredentialsFactory(
        app_id=settings.microsoft_app_id,
        password=settings.microsoft_app_password or "",
        tenant=settings.microsoft_app_tenant_id or MULTI_TENANT,
        token_url=settings.botframework_token_url,
        scope=settings.botframework_issuer,
        now=now,
    )


def bot_framework_authentication(
    settings: Settings, credentials: AppCredentialsFactory | None, *, now: Now = time.time
) -> BotFrameworkAuthentication:
    """Bot Framework authentication for the cloud (endpoints and issuer) `settings` name.

    Without credentials botbuilder runs anonymously (no tokens checked or sent); okrbot only
    builds the adapter that way when OKRBOT_TEAMS_DEV_NO_AUTH=1.
    """
    if credentials is None:
        return ConfigurationBotFrameworkAuthentication(SimpleNamespace(APP_ID="", APP_PASSWORD=""))
    SigningKeys(settings.botframework_openid_url, now=now).install()
    tenant = credentials.tenant
    return BotFrameworkAuthenticationFactory.create(
        validate_authority=True,
        to_channel_from_bot_login_url=AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
        + tenant,
        # The Bot Connector's name: the issuer of its tokens, the audience of okrbot's.
        to_channel_from_bot_oauth_scope=settings.botframework_issuer,
        to_bot_from_channel_token_issuer=settings.botframework_issuer,
        oauth_url=AuthenticationConstants.OAUTH_URL,
        to_bot_from_channel_open_id_metadata_url=settings.botframework_openid_url,
        to_bot_from_emulator_open_id_metadata_url=(
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        ),
        caller_id=CALLER_IDS.get(settings.botframework_issuer),
        credential_factory=credentials,
        auth_configuration=AuthenticationConfiguration(),
    )
