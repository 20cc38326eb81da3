#!/usr/bin/env python3
"""Writes a gzip'd newc cpio (an initramfs) from a directory tree, without cpio(1) (not on the lab hosts).

    mkinitramfs.py ROOT_DIR OUT.gz
Files keep their mode; symlinks stay symlinks; owner root."""
import gzip
import os
import stat
import sys


def entries(root):
    yield "."
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            yield os.path.relpath(os.path.join(dirpath, name), root)


def header(ino, mode, nlink, size, name):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, out = argv[1], argv[2]
    with gzip.open(out, "wb", compresslevel=6) as f:
        for ino, rel in enumerate(entries(root), start=1):
            path = os.path.join(root, rel)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(path).encode()
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as src:
                    data = src.read()
            else:
                data = b""
            name = rel.encode()
            h = header(ino, st.st_mode, 2 if stat.S_ISDIR(st.st_mode) else 1, len(data), name)
            f.write(h + name + b"\0" + pad(len(h) + len(name) + 1) + data + pad(len(data)))
        trailer = b"TRAILER!!!"
        h = header(0, 0, 1, 0, trailer)
        f.write(h + trailer + b"\0" + pad(len(h) + len(trailer) + 1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
