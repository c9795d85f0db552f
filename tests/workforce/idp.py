"""A real OpenID provider for the tests: Authlib's authorization server and OIDC code grant in a small
Flask app, served over HTTPS (its own test CA) from a thread of the test process."""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import tempfile
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask, jsonify, render_template_string, request
from joserfc.jwk import KeySet, RSAKey

from tests.support.procs import ThreadedHTTPApp, free_port

LOGIN_PAGE = """<!doctype html><title>Test IdP</title><h1>Test identity provider</h1>
<form method="post">{% for name in users %}<button name="username" value="{{ name }}" id="user-{{ name }}">
Sign in as {{ name }}</button>{% endfor %}</form>"""


class TestCA:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (files in a temp dir)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hitl-idp-")
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hitl test CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.cert_file = os.path.join(self.dir, "server.pem")
        self.key_file = os.path.join(self.dir, "server.key")
        with open(self.ca_file, "wb") as f:
            f.write(ca.public_bytes(serialization.Encoding.PEM))
        with open(self.cert_file, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(self.key_file, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))


class Client:
    def __init__(self, client_id, secret, redirect_uris):
        self.client_id, self.secret, self.redirect_uris = client_id, secret, redirect_uris

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in ("openid", "profile", "email"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code:
    def __init__(self, code, client_id, redirect_uri, scope, user, nonce, challenge, method):
        self.code, self.client_id, self.redirect_uri, self.scope, self.user = code, client_id, redirect_uri, scope, user
        self.nonce, self.code_challenge, self.code_challenge_method = nonce, challenge, method
        self.auth_time = int(time.time())
        self.expires_at = time.time() + 300

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class Token:
    def __init__(self, data, client_id, user):
        self.data, self.client_id, self.user = data, client_id, user
        self.issued_at = time.time()

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.data.get("scope", "")

    def get_expires_in(self):
        return self.data.get("expires_in", 3600)

    def is_expired(self):
        return time.time() > self.issued_at + self.get_expires_in()

    def is_revoked(self):
        return False

    def get_user(self):
        return self.user


class TestIdP:
    """An OpenID provider at https://127.0.0.1:<port>; `users` maps a login name to its claims."""

    def __init__(self, ca: TestCA, client_id="hitl-client", client_secret=None):
        self.ca = ca
        self.port = free_port()
        self.issuer = f"https://127.0.0.1:{self.port}"
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.users: dict[str, dict] = {}
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"},
                                       private=True)
        # lets a test tamper with the next ID token (wrong nonce, wrong audience, foreign key, ...)
        self.id_token_overrides: dict = {}
        self.signing_key = self.key
        self.token_requests: list[dict] = []
        self.app = self._build()
        self.http = ThreadedHTTPApp(self.app, port=self.port, ssl_context=(ca.cert_file, ca.key_file))

    def register_client(self, redirect_uri: str) -> None:
        self.clients[self.client_id] = Client(self.client_id, self.client_secret, [redirect_uri])

    def add_user(self, login: str, sub: str, groups, name: str | None = None) -> None:
        self.users[login] = {"sub": sub, "sagemaker:groups": groups, "sagemaker:name": name or login,
                             "sagemaker:client_id": self.client_id, "email": f"{login}@example.com"}

    def oidc_config(self) -> dict:
        base = self.issuer
        return {"ClientId": self.client_id, "ClientSecret": self.client_secret, "Issuer": base,
                "AuthorizationEndpoint": f"{base}/authorize", "TokenEndpoint": f"{base}/token",
                "UserInfoEndpoint": f"{base}/userinfo", "LogoutEndpoint": f"{base}/logout",
                "JwksUri": f"{base}/jwks", "Scope": "openid profile"}

    def _build(self) -> Flask:
        idp = self
        app = Flask("test-idp")

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, req):
                data = req.payload.data
                idp.codes[code] = Code(code, req.client.get_client_id(), req.payload.redirect_uri,
                                       req.payload.scope, req.user, data.get("nonce"), data.get("code_challenge"),
                                       data.get("code_challenge_method"))

            def query_authorization_code(self, code, client):
                item = idp.codes.get(code)
                if item and item.client_id == client.get_client_id() and item.expires_at > time.time():
                    return item
                return None

            def delete_authorization_code(self, authorization_code):
                idp.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce, req):
                return any(c.nonce == nonce for c in idp.codes.values())

            def resolve_client_private_key(self, client):
                return KeySet([idp.signing_key])

            def get_client_claims(self, client):
                claims = {"iss": idp.issuer, "aud": [client.get_client_id()]}
                claims.update(idp.id_token_overrides.get("client_claims", {}))
                return claims

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": idp.signing_key.kid}

            def get_authorization_code_claims(self, authorization_code):
                claims = super().get_authorization_code_claims(authorization_code)
                claims.update(idp.id_token_overrides.get("code_claims", {}))
                return claims

            def generate_user_info(self, user, scope):
                return UserInfo(**user)

        def save_token(token, req):
            idp.tokens[token["access_token"]] = Token(token, req.client.get_client_id(), req.user)

        server = AuthorizationServer(app, query_client=lambda cid: idp.clients.get(cid), save_token=save_token)
        server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])

        class Validator(BearerTokenValidator):
            def authenticate_token(self, token_string):
                return idp.tokens.get(token_string)

        protect = ResourceProtector()
        protect.register_token_validator(Validator())

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            if request.method == "GET":
                server.get_consent_grant(end_user=None)
                return render_template_string(LOGIN_PAGE, users=sorted(idp.users))
            return server.create_authorization_response(grant_user=idp.users[request.form["username"]])

        @app.post("/token")
        def token():
            idp.token_requests.append(request.form.to_dict())
            return server.create_token_response()

        @app.get("/userinfo")
        @protect("openid")
        def userinfo():
            from authlib.integrations.flask_oauth2 import current_token

            return jsonify(current_token.get_user())

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([idp.key]).as_dict(private=False))

        return app

    def start(self) -> "TestIdP":
        self.http.start()
        return self

    def stop(self) -> None:
        self.http.stop()
