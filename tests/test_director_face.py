"""The director's face: the password once per session and off the event loop, guessers slowed, loopback kept local.

Every request goes to the real Datasette app of the face (the one
``ailabor serve`` runs) through httpx's ASGI transport, which lets a test
speak from several client addresses to one running app.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib

import httpx
import pytest
from datasette_auth_passwords.utils import hash_password

from ailabor.site.faces import PASSWORD_HASH_ENV, make_datasette
from tests.test_site import site_db  # noqa: F401  (module fixture)

PASSWORD = "correct horse"
SQL = "/tracker.json?sql=select+count(*)+as+n+from+bills&_shape=array"


def basic(password: str, user: str = "director") -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def director_app(monkeypatch, site_db):  # noqa: F811
    """The ASGI app of the director's face behind PASSWORD."""
    monkeypatch.setenv(PASSWORD_HASH_ENV, hash_password(PASSWORD))
    return make_datasette(site_db, public=False).app()


def client(app, address: str = "192.0.2.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 50000)), base_url="http://localhost")


@pytest.fixture
def hashes(monkeypatch):
    """How many times a password is hashed (PBKDF2, the slow part of a verification)."""
    calls = []
    original = hashlib.pbkdf2_hmac

    def counted(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counted)
    return calls


@pytest.mark.review("director_face")
async def test_password_is_hashed_once_per_session(director_app, hashes):
    async with client(director_app) as browser:
        first = await browser.get(SQL, headers=basic(PASSWORD))
        assert first.status_code == 200 and first.json() == [{"n": 7}]
        assert "ds_actor" in browser.cookies
        # A browser keeps sending the credentials it was given; the session cookie spares the hash.
        for _ in range(10):
            assert (await browser.get(SQL, headers=basic(PASSWORD))).status_code == 200
            assert (await browser.get("/tracker/bills.json")).status_code == 200
    assert len(hashes) == 1


@pytest.mark.review("director_face")
async def test_without_password_or_session_nothing_is_served(director_app):
    async with client(director_app) as stranger:
        for path in (SQL, "/tracker/bills.json", "/", "/-/metadata.json"):
            response = await stranger.get(path)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"].startswith("Basic ")
        assert (await stranger.get(SQL, headers=basic(PASSWORD, user="admin"))).status_code == 401
        stranger.cookies.set("ds_actor", "eyJhIjp7ImlkIjoiZGlyZWN0b3IifX0.forged")
        assert (await stranger.get(SQL)).status_code == 401


@pytest.mark.review("director_face")
async def test_a_guesser_is_answered_429_after_five_wrong_passwords_a_minute(director_app, hashes):
    async with client(director_app, "192.0.2.66") as guesser, client(director_app, "192.0.2.7") as director:
        statuses = [(await guesser.get(SQL, headers=basic(f"guess {n}"))).status_code for n in range(8)]
        assert statuses == [401] * 5 + [429] * 3
        throttled = await guesser.get(SQL, headers=basic(PASSWORD))
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        # Throttled guesses cost no hash, and other addresses are not held back.
        assert len(hashes) == 5
        assert (await director.get(SQL, headers=basic(PASSWORD))).status_code == 200


@pytest.mark.review("director_face")
async def test_a_session_gets_in_from_a_throttled_address(director_app):
    async with client(director_app, "192.0.2.8") as office:
        assert (await office.get(SQL, headers=basic(PASSWORD))).status_code == 200
        session = dict(office.cookies)
    async with client(director_app, "192.0.2.8") as guesser:
        for n in range(6):
            await guesser.get(SQL, headers=basic(f"guess {n}"))
        assert (await guesser.get(SQL)).status_code == 429
    async with client(director_app, "192.0.2.8") as office:
        office.cookies.update(session)
        assert (await office.get(SQL)).status_code == 200


@pytest.mark.review("director_face")
async def test_a_non_ascii_password_works(monkeypatch, site_db):  # noqa: F811
    monkeypatch.setenv(PASSWORD_HASH_ENV, hash_password("pässwörd ✓ 工会"))
    async with client(make_datasette(site_db, public=False).app()) as browser:
        assert (await browser.get(SQL, headers=basic("pässwörd ✓ 工会"))).status_code == 200
    async with client(make_datasette(site_db, public=False).app()) as browser:
        assert (await browser.get(SQL, headers=basic("passwort"))).status_code == 401


MALFORMED = ["Basic YQ", "Basic w6k6w6k=", "Basic !!!", "Basic", "Basic ", "Bearer abc", "basic",
             "Basic " + base64.b64encode("director:p\xe4ss".encode("latin-1")).decode(),
             "Basic " + base64.b64encode(b"no colon").decode(), "Basic \xff\xfe"]


@pytest.mark.review("director_face")
@pytest.mark.parametrize("public", [False, True])
async def test_a_malformed_authorization_header_is_refused_not_an_error(monkeypatch, site_db, public):  # noqa: F811
    monkeypatch.setenv(PASSWORD_HASH_ENV, hash_password(PASSWORD))
    app = make_datasette(site_db, public=public).app()
    for n, header in enumerate(MALFORMED):
        async with client(app, f"192.0.2.{100 + n}") as sender:
            response = await sender.get("/tracker/bills.json", headers={"authorization": header.encode("latin-1")})
        assert response.status_code == (200 if public else 401), header


@pytest.mark.review("director_face")
async def test_strangers_are_answered_while_passwords_are_being_checked(director_app):
    answered: list[str] = []

    async def ask(address: str, headers: dict[str, str], label: str) -> None:
        async with client(director_app, address) as sender:
            await sender.get(SQL, headers=headers)
        answered.append(label)

    guesses = [asyncio.create_task(ask(f"192.0.2.{20 + n}", basic(f"guess {n}"), "guess")) for n in range(4)]
    await asyncio.sleep(0)
    await ask("192.0.2.30", {}, "stranger")
    await asyncio.gather(*guesses)
    assert answered.index("stranger") < answered.count("guess")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8001", "127.0.0.1.nip.io:8001", "localhost.evil",
                                  "192.168.1.5:8001", ""])
@pytest.mark.review("director_face")
async def test_passwordless_face_refuses_other_host_names(monkeypatch, site_db, host):  # noqa: F811
    monkeypatch.delenv(PASSWORD_HASH_ENV, raising=False)
    ds = make_datasette(site_db, public=False)
    for path in ("/tracker/positions.json", "/tracker/digests.json", "/"):
        assert (await ds.client.get(path, headers={"host": host})).status_code == 400


@pytest.mark.parametrize("host", ["localhost", "localhost:8001", "127.0.0.1:8001", "127.0.0.1", "[::1]:8001"])
async def test_passwordless_face_answers_at_loopback_names(monkeypatch, site_db, host):  # noqa: F811
    monkeypatch.delenv(PASSWORD_HASH_ENV, raising=False)
    ds = make_datasette(site_db, public=False)
    assert (await ds.client.get("/tracker/positions.json", headers={"host": host})).status_code == 200


async def test_public_face_answers_at_any_host_name(site_db):  # noqa: F811
    from ailabor.site.publish import publish

    snapshot = publish(site_db, site_db.parent / "host-test" / "tracker.db")
    ds = make_datasette(snapshot, public=True)
    assert (await ds.client.get("/tracker/bills.json", headers={"host": "members.example.org"})).status_code == 200
