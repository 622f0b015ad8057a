#!/usr/bin/env python3
"""A registry that lies, for the pull tests (127.0.0.1 only).

Usage: hostile-registry.py PORT BLOB_PORT ROOTFS [USER:PASSWORD]

Serves one image made from ROOTFS (a gzip layer, a config, an OCI
manifest) under several repository names, each answering in its own
wrong (or right) way:

  good          everything right
  digestbad     the layer's bytes are changed (same size): digest mismatch
  truncated     the layer is shorter than its descriptor says (honest Content-Length)
  cut           the connection drops halfway through the layer; a Range request gets the rest
  oversize      a 5 MiB manifest
  badtype       the manifest comes with an unknown media type
  headerdigest  Docker-Content-Digest differs from the manifest's digest
  artifact      an OCI artifact (a config of another media type), not an image
  badlayer      a layer of an unknown media type
  noblob        the layer blob is unknown (404)
  badconfig     the config blob answers 500
  e403 e404 e429 e500   that status for the manifest
  slow          the manifest answer never comes (timeouts)
  redirect      blobs answer 307 to BLOB_PORT, which refuses any request that
                carries an Authorization header (credentials must not follow)

With USER:PASSWORD every request to PORT needs basic auth. With "bearer" instead,
every request needs a token from PORT/token (tok1, tok2, ...), and the layer
blob refuses tok1 with 401 (an expired token: the client must get a new one). Requests are
logged to $HOSTILE_LOG (one line each) when it is set.
"""
import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import sys
import tarfile
import threading
import time

port, blob_port, rootfs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
credentials = sys.argv[4] if len(sys.argv) > 4 else None
log_path = os.environ.get("HOSTILE_LOG")


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def build_image():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(rootfs)):
            tar.add(os.path.join(rootfs, name), arcname=name)
    raw = raw.getvalue()
    layer = gzip.compress(raw, 6, mtime=0)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(raw)]},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(layer), "size": len(layer)}],
    }).encode()
    return layer, config, manifest


LAYER, CONFIG, MANIFEST = build_image()
BLOBS = {sha(LAYER): LAYER, sha(CONFIG): CONFIG}
OCI = "application/vnd.oci.image.manifest.v1+json"


def log(line):
    if log_path:
        with open(log_path, "a") as f:
            f.write(line + "\n")


class Base(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", content_type="application/json", headers=None, length=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message, headers=None):
        self.answer(status, json.dumps({"errors": [{"code": code, "message": message}]}).encode(), headers=headers)


class Registry(Base):
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        log("%s %s auth=%s" % (self.command, self.path, "yes" if self.headers.get("Authorization") else "no"))
        if credentials == "bearer":
            if not self.bearer():
                return
        elif credentials:
            expected = "Basic " + base64.b64encode(credentials.encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.error(401, "UNAUTHORIZED", "authentication required",
                           {"WWW-Authenticate": 'Basic realm="hostile"'})
                return
        if self.path == "/v2/":
            self.answer(200, b"{}")
            return
        parts = self.path.split("/")
        if len(parts) < 5 or parts[1] != "v2":
            self.error(404, "NAME_UNKNOWN", "no such repository")
            return
        repo, kind, ref = parts[2], parts[3], parts[4]
        if kind == "manifests":
            self.manifest(repo, ref)
        elif kind == "blobs":
            self.blob(repo, ref)
        else:
            self.error(404, "NAME_UNKNOWN", "no such repository")

    tokens = [0]

    def bearer(self):
        """Token auth: True when the request may go on."""
        if self.path.startswith("/token"):
            self.tokens[0] += 1
            self.answer(200, json.dumps({"token": "tok%d" % self.tokens[0]}).encode())
            return False
        challenge = {"WWW-Authenticate": 'Bearer realm="http://127.0.0.1:%d/token",service="hostile"' % port}
        authorization = self.headers.get("Authorization", "")
        number = int(authorization[10:]) if authorization.startswith("Bearer tok") and authorization[10:].isdigit() else 0
        layer = self.path.endswith(sha(LAYER))
        if number < 1 or (layer and number < 2):
            self.error(401, "UNAUTHORIZED", "token expired" if number else "authentication required", challenge)
            return False
        return True

    def manifest(self, repo, ref):
        body, content_type, headers = MANIFEST, OCI, {"Docker-Content-Digest": sha(MANIFEST)}
        if repo == "oversize":
            body = MANIFEST[:-1] + b"," + b'"x":"' + b"a" * (5 * 1024 * 1024) + b'"}'
            headers = {}
        elif repo == "badtype":
            content_type = "application/vnd.example.unknown+json"
        elif repo == "badlayer":
            body = MANIFEST.replace(b"application/vnd.oci.image.layer.v1.tar+gzip", b"application/x-unknown-layer")
            headers = {}
        elif repo == "artifact":
            body = MANIFEST.replace(b"application/vnd.oci.image.config.v1+json", b"application/vnd.cncf.helm.config.v1+json")
            headers = {}
        elif repo == "headerdigest":
            headers = {"Docker-Content-Digest": "sha256:" + "0" * 64}
        elif repo in ("e403", "e404", "e429", "e500"):
            status = int(repo[1:])
            code = {403: "DENIED", 404: "MANIFEST_UNKNOWN", 429: "TOOMANYREQUESTS", 500: "UNKNOWN"}[status]
            self.error(status, code, "hostile %d" % status, {"Retry-After": "30"} if status == 429 else None)
            return
        elif repo == "slow":
            time.sleep(30)
            return
        if ref not in ("latest", sha(MANIFEST), sha(body)) and repo != "oversize":
            self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            return
        self.answer(200, body, content_type, headers)

    def blob(self, repo, digest):
        data = BLOBS.get(digest)
        if data is None:
            self.error(404, "BLOB_UNKNOWN", "blob unknown")
            return
        if repo == "noblob" and data is LAYER:
            self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            return
        if repo == "badconfig" and data is CONFIG:
            self.error(500, "UNKNOWN", "storage driver failure")
            return
        if repo == "redirect":
            self.answer(307, b"", headers={"Location": "http://127.0.0.1:%d/blob/%s" % (blob_port, digest)})
            return
        if data is LAYER and repo == "digestbad":
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        if data is LAYER and repo == "truncated":
            data = data[: len(data) // 2]
        start = 0
        range_header = self.headers.get("Range")
        if range_header and range_header.startswith("bytes=") and data is LAYER:
            start = int(range_header[6:].split("-")[0])
        if start:
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:])
            return
        if data is LAYER and repo == "cut" and self.command == "GET":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.answer(200, data, "application/octet-stream")


class BlobStore(Base):
    """The object store a redirect points at: it must never see the registry's credentials."""

    def do_GET(self):
        log("blobstore %s auth=%s" % (self.path, "yes" if self.headers.get("Authorization") else "no"))
        if self.headers.get("Authorization"):
            self.error(400, "LEAKED", "credentials were forwarded to another host")
            return
        data = BLOBS.get(self.path.split("/")[-1])
        if data is None:
            self.error(404, "BLOB_UNKNOWN", "blob unknown")
            return
        self.answer(200, data, "application/octet-stream")


blob_server = http.server.ThreadingHTTPServer(("127.0.0.1", blob_port), BlobStore)
threading.Thread(target=blob_server.serve_forever, daemon=True).start()
http.server.ThreadingHTTPServer(("127.0.0.1", port), Registry).serve_forever()
