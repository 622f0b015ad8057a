#!/usr/bin/env python3
"""A small token server for the registry tests (Docker's token auth spec).

Usage: token-server.py PORT KEY.pem CERT.pem USERS SERVICE ISSUER

GET /token?service=S&scope=repository:NAME:pull,push[&scope=...] with HTTP basic
credentials checked against USERS (lines "user:password"): answers
{"token": JWT, "access_token": JWT, "expires_in": 300}. The JWT is RS256-signed
with KEY (by `openssl dgst`, so no Python crypto module is needed) and carries
the certificate in its x5c header, which the registry checks against its
rootcertbundle. Wrong credentials: 401. No credentials: a token with pull
access only (anonymous pull, as Docker Hub grants).
Every request is appended to $TOKEN_SERVER_LOG (if set), one line each.
"""
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.parse
import uuid


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    port, key, cert, users_file, service, issuer = sys.argv[1:7]
    with open(users_file) as f:
        users = dict(line.strip().split(":", 1) for line in f if ":" in line)
    der = ssl.PEM_cert_to_DER_cert(open(cert).read())
    log_path = os.environ.get("TOKEN_SERVER_LOG")

    def sign(claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input,
                                   stdout=subprocess.PIPE, check=True).stdout
        return signing_input.decode() + "." + b64url(signature)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            if log_path:
                with open(log_path, "a") as log:
                    log.write("%s auth=%s\n" % (self.path, "yes" if self.headers.get("Authorization") else "no"))
            if url.path != "/token" or query.get("service", [""])[0] != service:
                self.send_error(404)
                return
            user = ""
            authorization = self.headers.get("Authorization", "")
            if authorization.startswith("Basic "):
                try:
                    user, password = base64.b64decode(authorization[6:]).decode().split(":", 1)
                except Exception:
                    user, password = "", None
                if users.get(user) != password:
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
                    return
            access = []
            for scope in query.get("scope", []):
                for one in scope.split(" "):
                    parts = one.split(":")
                    if len(parts) != 3:
                        continue
                    actions = parts[2].split(",") if user else [a for a in parts[2].split(",") if a == "pull"]
                    access.append({"type": parts[0], "name": parts[1], "actions": actions})
            now = int(time.time())
            claims = {"iss": issuer, "sub": user, "aud": service, "exp": now + 300, "nbf": now - 10,
                      "iat": now, "jti": str(uuid.uuid4()), "access": access}
            token = sign(claims)
            body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
