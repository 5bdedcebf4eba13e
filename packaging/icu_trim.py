"""A smaller ICU data library for the Linux bundle (used by packaging/smtpdiag.spec).

PySide6's Qt on Linux links ICU, and ICU's data library (libicudata.so.NN, about
30 MB) is a quarter of the whole bundle.  Qt uses ICU for three things only
(``objdump -T libQt6Core.so.6``: ucol_*, ucnv_*, ucal_*): collation (QCollator,
sorting in file dialogs), legacy text encodings (QStringConverter by name) and
time-zone display names (QTimeZone).  This keeps the data those need (the locale
bundles, coll/, zone/, the converters) and drops what Qt never asks ICU for:
break-iterator rules and dictionaries, currency, language, region and unit
display names, number spell-out rules and transliterators (about 22 MB).

How: the data library is a shared object exporting one symbol, ``icudtNN_dat``,
which is an ICU "common data" package (a header, a table of contents of
name/offset pairs sorted by name, then the items, 16-byte aligned).  The package
is read out of the library, rewritten without the dropped items, and linked into a
new libicudata.so.NN exporting the same symbol (needs a C compiler, ``cc``).

    python packaging/icu_trim.py SRC.so DEST.so     (what the spec does)
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# Item name prefixes (after "icudtNNl/") that Qt never uses.
DROP_PREFIXES = ("brkitr/", "curr/", "lang/", "region/", "unit/", "rbnf/", "translit/")


class IcuDataError(Exception):
    pass


def parse_package(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(header, [(name, item bytes)]) of an ICU common data package (little-endian)."""
    if len(blob) < 32:
        raise IcuDataError("too short for ICU data")
    header_size = struct.unpack_from("<H", blob, 0)[0]
    if blob[2:4] != b"\xda\x27":
        raise IcuDataError("no ICU data magic")
    info = blob[4:header_size]
    if info[8:12] != b"CmnD":
        raise IcuDataError(f"not a common data package ({info[8:12]!r})")
    if info[4] != 0:  # isBigEndian
        raise IcuDataError("big-endian ICU data is not supported")
    toc = header_size
    (count,) = struct.unpack_from("<I", blob, toc)
    entries = [struct.unpack_from("<II", blob, toc + 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        name_end = blob.index(b"\0", toc + name_offset)
        name = blob[toc + name_offset:name_end].decode("ascii")
        end = toc + entries[i + 1][1] if i + 1 < count else len(blob)
        items.append((name, blob[toc + data_offset:end]))
    return blob[:header_size], items


def build_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """The package for *items* (sorted by name, as ICU's binary search needs)."""
    items = sorted(items, key=lambda item: item[0].encode("ascii"))
    count = len(items)
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    toc_size = 4 + 8 * count
    name_offsets, offset = [], toc_size
    for name, _ in items:
        name_offsets.append(offset)
        offset += len(name) + 1
    data_start = (offset + 15) & ~15
    body, data_offsets = bytearray(), []
    for _, data in items:
        data_offsets.append(data_start + len(body))
        body += data
        body += b"\0" * (-len(body) % 16)
    toc = struct.pack("<I", count) + b"".join(
        struct.pack("<II", n, d) for n, d in zip(name_offsets, data_offsets, strict=True))
    padding = b"\0" * (data_start - toc_size - len(names))
    return header + toc + names + padding + bytes(body)


def read_symbol(library: Path) -> tuple[str, bytes]:
    """(symbol name, bytes) of the icudtNN_dat object in an ELF shared library."""
    from io import BytesIO

    data = library.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise IcuDataError(f"{library} is not a 64-bit little-endian ELF file")
    stream = BytesIO(data)

    def unpack(fmt: str, offset: int) -> tuple[int, ...]:
        stream.seek(offset)
        return struct.unpack(fmt, stream.read(struct.calcsize(fmt)))

    shoff, = unpack("<Q", 0x28)
    shentsize, shnum, shstrndx = unpack("<HHH", 0x3A)
    sections = [unpack("<IIQQQQIIQQ", shoff + i * shentsize) for i in range(shnum)]
    for sh in sections:
        if sh[1] != 11:  # SHT_DYNSYM
            continue
        strtab = sections[sh[6]]
        for i in range(sh[5] // 24):
            name_off, info, _other, shndx, value, size = unpack("<IBBHQQ", sh[4] + i * 24)
            stream.seek(strtab[4] + name_off)
            raw = stream.read(64).split(b"\0", 1)[0].decode("ascii", "replace")
            if re.fullmatch(r"icudt\d+_dat", raw) and shndx != 0:
                target = sections[shndx]
                file_offset = target[4] + (value - target[3])
                return raw, data[file_offset:file_offset + size]
    raise IcuDataError(f"no icudtNN_dat symbol in {library}")


def link_library(symbol: str, package: bytes, soname: str, dest: Path) -> None:
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise IcuDataError("no C compiler (cc) to link the ICU data library")
    with tempfile.TemporaryDirectory() as tmp:
        blob = Path(tmp) / "icudata.bin"
        blob.write_bytes(package)
        source = Path(tmp) / "icudata.S"
        source.write_text(
            "\t.section .rodata\n\t.balign 16\n"
            f"\t.globl {symbol}\n\t.type {symbol}, @object\n{symbol}:\n"
            f'\t.incbin "{blob}"\n\t.size {symbol}, . - {symbol}\n'
            '\t.section .note.GNU-stack,"",@progbits\n')
        subprocess.run([compiler, "-shared", "-nostdlib", "-Wl,--build-id=none", f"-Wl,-soname,{soname}",
                        "-o", str(dest), str(source)], check=True)


def trim_library(src: Path, dest: Path, drop: tuple[str, ...] = DROP_PREFIXES) -> tuple[int, int]:
    """Write a trimmed copy of the ICU data library *src* to *dest*; (old, new) data size."""
    symbol, blob = read_symbol(src)
    header, items = parse_package(blob)
    kept = [(name, data) for name, data in items
            if not name.split("/", 1)[-1].startswith(drop)]
    if len(kept) == len(items):
        raise IcuDataError("nothing to drop: unexpected ICU data layout")
    package = build_package(header, kept)
    if parse_package(package)[1] != sorted(kept, key=lambda item: item[0].encode("ascii")):
        raise IcuDataError("the rewritten package does not read back")
    link_library(symbol, package, src.name, dest)
    if read_symbol(dest)[1][:len(package)] != package:
        raise IcuDataError("the new library does not hold the package")
    return len(blob), len(package)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    before, after = trim_library(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"ICU data: {before / 2**20:.1f} MB -> {after / 2**20:.1f} MB")
