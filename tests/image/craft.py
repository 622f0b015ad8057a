#!/usr/bin/env python3
"""Crafts image layers for the unpack tests (hostile ones included).

  craft.py hostile OUTDIR   one tarball per attack, plus good.tar (every feature)
  craft.py layout OUTDIR    an OCI layout (tag "equiv") of three layers with
                            whiteouts, an opaque dir, hardlinks, symlinks,
                            setuid bits, xattrs and ownership
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, link="", xattrs=None, mtime=1600000000):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = mtime
    info.linkname = link
    if kind == tarfile.REGTYPE:
        info.size = len(data)
    if xattrs:
        info.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
    return info, data


def tar_bytes(entries, trailer=True):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    raw = buffer.getvalue()
    if not trailer:
        # Drop the two zero blocks and the record padding, as old umoci did.
        raw = raw.rstrip(b"\0")
        raw += b"\0" * (-len(raw) % 512)
    return raw


def write(path, data):
    with open(path, "wb") as out:
        out.write(data)


def hostile(outdir):
    os.makedirs(outdir, exist_ok=True)
    d = tarfile.DIRTYPE
    cases = {
        "dotdot": [entry("a", d, mode=0o755), entry("a/../../escaped", data=b"x")],
        "dotdot_plain": [entry("../escaped", data=b"x")],
        "absolute": [entry("/escaped", data=b"x")],
        "symlink_write": [entry("link", tarfile.SYMTYPE, link=os.environ["CV_OUTSIDE"]), entry("link/escaped", data=b"x")],
        "symlink_write_relative": [entry("d", d, mode=0o755), entry("d/up", tarfile.SYMTYPE, link="../../../../../../.."),
                                   entry("d/up" + os.environ["CV_OUTSIDE"] + "/escaped", data=b"x")],
        "hardlink_outside": [entry("h", tarfile.LNKTYPE, link="../../../../../../etc/passwd")],
        "hardlink_absolute": [entry("h", tarfile.LNKTYPE, link="/etc/passwd")],
        "hardlink_via_symlink": [entry("s", tarfile.SYMTYPE, link="/etc"), entry("h", tarfile.LNKTYPE, link="s/passwd")],
        "hardlink_missing": [entry("h", tarfile.LNKTYPE, link="nothing/here")],
        "bad_whiteout": [entry(".wh..", data=b"")],
        "too_deep": [entry("/".join(["d"] * 300) + "/f", data=b"x")],
        "newline_dotdot": [entry("evil\nname\x1b[31m/../../escaped", data=b"x")],
    }
    for name, entries in cases.items():
        write(os.path.join(outdir, name + ".tar"), tar_bytes(entries))
    # A symlink replaced by a file of the same name: the file replaces the link, the target is untouched.
    write(os.path.join(outdir, "replace_symlink.tar"), tar_bytes([
        entry("victim", tarfile.SYMTYPE, link=os.environ["CV_OUTSIDE"] + "/victim"),
        entry("victim", data=b"replaced\n")]))
    # Overlay's own xattrs forged by a layer are dropped.
    write(os.path.join(outdir, "forged_xattr.tar"), tar_bytes([
        entry("dir", d, mode=0o755, xattrs={"trusted.overlay.opaque": "y", "user.kept": "yes"})]))
    # A decompression bomb: 64 MiB of zeros in one file, about 64 KiB compressed.
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as z:
        info = tarfile.TarInfo("zeros")
        info.size = 64 << 20
        z.write(info.tobuf(format=tarfile.PAX_FORMAT))
        chunk = b"\0" * (1 << 20)
        for _ in range(64):
            z.write(chunk)
        z.write(b"\0" * 1024)
    write(os.path.join(outdir, "bomb.tar.gz"), bomb.getvalue())
    write(os.path.join(outdir, "many_entries.tar"), tar_bytes([entry("f%d" % i) for i in range(300)]))
    write(os.path.join(outdir, "no_trailer.tar"), tar_bytes([entry("etc", d, mode=0o755), entry("etc/hostname", data=b"box\n")], trailer=False))
    good = gzip.compress(tar_bytes([entry("x", data=b"y" * 5000)]))
    write(os.path.join(outdir, "corrupt.tar.gz"), good[:len(good) // 2] + b"garbage" * 10)
    write(os.path.join(outdir, "truncated.tar"), tar_bytes([entry("big", data=b"z" * 100000)])[:20000])
    write(os.path.join(outdir, "not_a_tar.tar"), b"this is not a tar archive at all" * 40)
    write(os.path.join(outdir, "good.tar"), tar_bytes(good_entries()))


def good_entries():
    d, l, s = tarfile.DIRTYPE, tarfile.LNKTYPE, tarfile.SYMTYPE
    return [
        entry("./", d, mode=0o755),
        entry("bin", d, mode=0o755),
        entry("bin/tool", data=b"#!/bin/sh\necho tool\n", mode=0o4755, uid=0, gid=0),
        entry("bin/sgid", data=b"sgid\n", mode=0o2711, uid=0, gid=50),
        entry("bin/alias", l, link="bin/tool"),
        entry("bin/sh", s, link="/bin/busybox"),
        entry("home", d, mode=0o755),
        entry("home/user", d, mode=0o700, uid=1000, gid=1000, mtime=1500000000),
        entry("home/user/notes", data=b"notes\n", mode=0o600, uid=1000, gid=1000,
              xattrs={"user.comment": "hello", "security.capability": "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}),
        entry("tmp", d, mode=0o1777),
        entry("nested/deep/file", data=b"implicit parents\n"),
        entry("fifo", tarfile.FIFOTYPE, mode=0o600),
        entry("var/.wh.cache", data=b""),
        entry("opaque", d, mode=0o755),
        entry("opaque/.wh..wh..opq", data=b""),
        entry("opaque/kept", data=b"kept\n"),
    ]


def add_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    write(os.path.join(layout, "blobs", "sha256", digest), data)
    return "sha256:" + digest, len(data)


def layout(outdir):
    d, l, s = tarfile.DIRTYPE, tarfile.LNKTYPE, tarfile.SYMTYPE
    os.makedirs(os.path.join(outdir, "blobs", "sha256"), exist_ok=True)
    layers = [
        [entry("etc", d, mode=0o755), entry("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"),
         entry("etc/shadow", data=b"root:*::\n", mode=0o640, gid=42),
         entry("usr", d, mode=0o755), entry("usr/bin", d, mode=0o755),
         entry("usr/bin/su", data=b"su binary\n", mode=0o4755),
         entry("usr/bin/ping", data=b"ping binary\n", mode=0o755,
               xattrs={"security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}),
         entry("usr/bin/wall", data=b"wall\n", mode=0o2755, gid=5),
         entry("usr/bin/sulink", l, link="usr/bin/su"),
         entry("bin", s, link="usr/bin"),
         entry("srv", d, mode=0o750, uid=33, gid=33),
         entry("srv/www", d, mode=0o755, uid=33, gid=33),
         entry("srv/www/index.html", data=b"<h1>one</h1>\n", uid=33, gid=33, xattrs={"user.mime": "text/html"}),
         entry("srv/www/old.html", data=b"old\n", uid=33, gid=33),
         entry("cache", d, mode=0o755), entry("cache/a", data=b"a\n"), entry("cache/b", data=b"b\n"),
         entry("cache/sub", d, mode=0o700), entry("cache/sub/c", data=b"c\n"),
         entry("tmp", d, mode=0o1777)],
        [entry("srv", d, mode=0o750, uid=33, gid=33), entry("srv/www", d, mode=0o755, uid=33, gid=33),
         entry("srv/www/.wh.old.html"),
         entry("srv/www/index.html", data=b"<h1>two</h1>\n", mode=0o640, uid=33, gid=33),
         entry("cache", d, mode=0o711, uid=7, gid=7), entry("cache/.wh..wh..opq"), entry("cache/fresh", data=b"fresh\n", uid=7),
         entry("home", d, mode=0o755), entry("home/dev", d, mode=0o700, uid=1000, gid=1000),
         entry("home/dev/.profile", data=b"export A=1\n", mode=0o600, uid=1000, gid=1000),
         entry("home/dev/link", s, link="../../etc/passwd", uid=1000, gid=1000)],
        [entry("etc", d, mode=0o755), entry("etc/.wh.shadow"),
         entry("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\ndev:x:1000:1000::/home/dev:/bin/sh\n"),
         entry("etc/passwd-hard", l, link="etc/passwd"),
         entry("usr", d, mode=0o755), entry("usr/bin", d, mode=0o755),
         entry("usr/bin/.wh.wall"), entry("usr/bin/newtool", data=b"new\n", mode=0o6755, uid=0, gid=0)],
    ]
    descriptors, diff_ids = [], []
    for i, entries in enumerate(layers):
        raw = tar_bytes(entries, trailer=(i != 1))  # the middle layer lacks the end-of-archive trailer
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        blob = gzip.compress(raw) if i != 2 else raw
        digest, size = add_blob(outdir, blob)
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if i != 2 else ""),
                            "digest": digest, "size": size})
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    config_digest, config_size = add_blob(outdir, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": config_digest, "size": config_size},
                           "layers": descriptors}).encode()
    manifest_digest, manifest_size = add_blob(outdir, manifest)
    write(os.path.join(outdir, "oci-layout"), b'{"imageLayoutVersion":"1.0.0"}')
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                 "digest": manifest_digest, "size": manifest_size,
                                                 "annotations": {"org.opencontainers.image.ref.name": "equiv"}}]}
    write(os.path.join(outdir, "index.json"), json.dumps(index).encode())
    print(manifest_digest, manifest_size)


if __name__ == "__main__":
    {"hostile": hostile, "layout": layout}[sys.argv[1]](sys.argv[2])
