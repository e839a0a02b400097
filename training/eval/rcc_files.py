"""The files inside a Qt resource bundle (.rcc, format 1-3), for judging photos that a Debian package ships only so
(GCompris's activities keep their photographs in rcc/<activity>.rcc).

  /usr/bin/python3 training/eval/rcc_files.py BUNDLE                 lists each file: sha256, size, path
  /usr/bin/python3 training/eval/rcc_files.py BUNDLE PATH OUT        writes the file at PATH to OUT

Layout (Qt's rcc, QResourceRoot): "qres", version, tree / data / names offsets (u32, big-endian), version 3 a flags
word; a tree node is name offset u32, flags u16 (1 zlib, 2 directory, 4 zstd), then a directory's child count and
first child, or a file's country, language and data offset, and from version 2 a modification time u64. A file's data
is its size u32 and its bytes (zlib: qCompress's u32 length first). Only uncompressed and zlib files are read; a zstd
one is refused in one line.
"""
import hashlib
import struct
import sys
import zlib


def read_bundle(blob):
    if blob[:4] != b'qres':
        raise SystemExit('gsc: not a Qt resource bundle (no "qres")')
    version, tree, data, names = struct.unpack('>IIII', blob[4:20])
    if version not in (1, 2, 3):
        raise SystemExit(f'gsc: Qt resource bundle version {version} is not read here')
    node_size = 14 if version == 1 else 22

    def name_of(offset):
        (length,) = struct.unpack('>H', blob[names + offset:names + offset + 2])
        start = names + offset + 6
        return blob[start:start + 2 * length].decode('utf-16-be')

    def file_bytes(offset, flags):
        (size,) = struct.unpack('>I', blob[data + offset:data + offset + 4])
        raw = blob[data + offset + 4:data + offset + 4 + size]
        if flags & 4:
            raise SystemExit('gsc: a zstd-compressed resource is not read here')
        return zlib.decompress(raw[4:]) if flags & 1 else raw

    def walk(index, prefix):
        at = tree + index * node_size
        name_offset, flags = struct.unpack('>IH', blob[at:at + 6])
        path = prefix + ('/' + name_of(name_offset) if index else '')
        if flags & 2:
            count, first = struct.unpack('>II', blob[at + 6:at + 14])
            for child in range(first, first + count):
                yield from walk(child, path)
        else:
            (offset,) = struct.unpack('>I', blob[at + 10:at + 14])
            yield path.lstrip('/'), (lambda o=offset, f=flags: file_bytes(o, f))

    return dict(walk(0, ''))


def main(argv):
    if len(argv) not in (1, 3):
        raise SystemExit('gsc: usage: rcc_files.py BUNDLE [PATH OUT]')
    with open(argv[0], 'rb') as f:
        files = read_bundle(f.read())
    if len(argv) == 1:
        for path, content in sorted(files.items()):
            body = content()
            print(hashlib.sha256(body).hexdigest(), len(body), path)
        return
    if argv[1] not in files:
        raise SystemExit(f'gsc: {argv[0]} has no file {argv[1]}')
    with open(argv[2], 'wb') as f:
        f.write(files[argv[1]]())


if __name__ == '__main__':
    main(sys.argv[1:])
