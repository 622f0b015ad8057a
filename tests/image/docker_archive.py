#!/usr/bin/env python3
"""Writes a docker archive in docker's old save format (one directory per
layer with layer.tar, a duplicate layer as a symlink to the first, the
config as <hex>.json, manifest.json and repositories) from a rootfs tarball.

  docker_archive.py ROOTFS.tar OUT.tar NAME:TAG
"""
import hashlib
import io
import json
import sys
import tarfile

rootfs, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
layer = open(rootfs, "rb").read()
diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["echo", "old-format"]},
                     "rootfs": {"type": "layers", "diff_ids": [diff_id, diff_id]}}).encode()
config_name = hashlib.sha256(config).hexdigest() + ".json"
first, second = "a" * 64, "b" * 64
repository, tag = name.rsplit(":", 1)


def add(tar, path, data):
    info = tarfile.TarInfo(path)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


with tarfile.open(out, "w") as tar:
    for directory in (first, second):
        info = tarfile.TarInfo(directory)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        add(tar, directory + "/VERSION", b"1.0")
        add(tar, directory + "/json", b"{}")
    add(tar, first + "/layer.tar", layer)
    link = tarfile.TarInfo(second + "/layer.tar")
    link.type = tarfile.SYMTYPE
    link.linkname = "../" + first + "/layer.tar"
    tar.addfile(link)
    add(tar, config_name, config)
    add(tar, "manifest.json", json.dumps([{"Config": config_name, "RepoTags": [name],
                                            "Layers": [first + "/layer.tar", second + "/layer.tar"]}]).encode())
    add(tar, "repositories", json.dumps({repository: {tag: second}}).encode())
