#!/usr/bin/env python3
"""Compares two root filesystems: type, mode, owner, content, link target,
xattrs (user.*, security.capability), hardlink groups. Prints each
difference; exits 1 when there is one. Overlay whiteouts and overlay xattrs
do not appear in a merged view, so they are ignored only if asked."""
import hashlib
import os
import stat
import sys


def describe(root):
    tree, inodes = {}, {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            st = os.lstat(path)
            item = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    item["sha256"] = hashlib.sha256(f.read()).hexdigest()
                inodes.setdefault(st.st_ino, []).append(relative)
            if stat.S_ISLNK(st.st_mode):
                item["target"] = os.readlink(path)
            else:
                xattrs = {}
                for key in os.listxattr(path, follow_symlinks=False):
                    if key.startswith("user.") or key == "security.capability":
                        xattrs[key] = os.getxattr(path, key, follow_symlinks=False)
                item["xattrs"] = xattrs
            tree[relative] = item
    groups = sorted(sorted(g) for g in inodes.values() if len(g) > 1)
    return tree, groups


def main(a, b):
    tree_a, links_a = describe(a)
    tree_b, links_b = describe(b)
    differences = 0
    for path in sorted(set(tree_a) | set(tree_b)):
        if tree_a.get(path) != tree_b.get(path):
            print("differs: %s\n  %s: %s\n  %s: %s" % (path, a, tree_a.get(path), b, tree_b.get(path)))
            differences += 1
    if links_a != links_b:
        print("hardlink groups differ: %s vs %s" % (links_a, links_b))
        differences += 1
    print("%d paths compared, %d differences" % (len(tree_a), differences))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
