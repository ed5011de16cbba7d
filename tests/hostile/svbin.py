#!/usr/bin/env python3
"""svbin.py: craft hostile .svbin files for tests/hostile (doc/bytecode.md).

    svbin.py IN OUT [EDIT]...

reads a binary that sievec wrote, applies the edits in order and writes OUT
with the body length and the CRC-32 put right again (unless an edit says
otherwise), so that the loader's verifier, not the CRC check, meets the
damage. Edits:

    SECTION=HEX        replace a section's payload (ext pool vars code lines name)
    SECTION+=HEX       append bytes to a section's payload
    SECTION.len=N      write N as the section's length field, payload unchanged
    header@OFF=HEX     overwrite header bytes at OFF (after the length/CRC fix)
    body@OFF=HEX       overwrite body bytes at OFF (before the CRC is computed)
    crc=HEX            store this CRC (4 bytes, little-endian as written)
    truncate=N         keep only the first N bytes of the output file
    append=HEX         add bytes after the body (not counted in its length)
HEX may be empty; "varint:N" stands for N as unsigned LEB128.
"""
import struct
import sys
import zlib

NAMES = ["ext", "pool", "vars", "code", "lines", "name"]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def hexbytes(text):
    out = bytearray()
    for part in text.split(","):
        if part.startswith("varint:"):
            out += varint(int(part[7:]))
        else:
            out += bytes.fromhex(part)
    return bytes(out)


def main(argv):
    data = open(argv[1], "rb").read()
    header, body = bytearray(data[:44]), data[44:]
    sections, lens, pos = [], [], 0
    while pos < len(body):
        sid, n = body[pos], struct.unpack_from("<I", body, pos + 1)[0]
        sections.append([sid, bytearray(body[pos + 5:pos + 5 + n])])
        lens.append(None)
        pos += 5 + n
    header_edits, body_edits, crc, truncate, tail = [], [], None, None, b""
    for edit in argv[3:]:
        key, _, val = edit.partition("=")
        if key.endswith("+"):
            sections[NAMES.index(key[:-1])][1] += hexbytes(val)
        elif key.endswith(".len"):
            lens[NAMES.index(key[:-4])] = int(val)
        elif key in NAMES:
            sections[NAMES.index(key)][1] = bytearray(hexbytes(val))
        elif key.startswith("header@"):
            header_edits.append((int(key[7:]), hexbytes(val)))
        elif key.startswith("body@"):
            body_edits.append((int(key[5:]), hexbytes(val)))
        elif key == "crc":
            crc = hexbytes(val)
        elif key == "truncate":
            truncate = int(val)
        elif key == "append":
            tail = hexbytes(val)
        else:
            sys.exit("svbin.py: unknown edit " + edit)
    out = bytearray()
    for (sid, payload), n in zip(sections, lens):
        out += bytes([sid]) + struct.pack("<I", len(payload) if n is None else n) + payload
    for off, b in body_edits:
        out[off:off + len(b)] = b
    struct.pack_into("<I", header, 20, len(out))
    struct.pack_into("<I", header, 24, zlib.crc32(out) & 0xFFFFFFFF)
    if crc is not None:
        header[24:28] = crc
    for off, b in header_edits:
        header[off:off + len(b)] = b
    result = bytes(header) + bytes(out) + tail
    if truncate is not None:
        result = result[:truncate]
    open(argv[2], "wb").write(result)


if __name__ == "__main__":
    main(sys.argv)
