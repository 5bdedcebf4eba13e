"""Run a command in which the operating system refuses every connect() with EPERM.

    python tests/refuse_connect.py COMMAND [ARGS...]

The kernel's own seccomp filter answers the ``connect`` system call with
"Operation not permitted", as a sandbox or a security program on this computer
does when it forbids a program to open connections (an nftables ``drop`` on
OUTPUT only makes TCP connections time out on Linux; it gives EPERM to UDP
sends, which the VPN test uses).  Linux on x86-64 and arm64 only; the filter
stays in force across ``exec`` and ends with the process.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
# BPF opcodes
LD_W_ABS = 0x00 | 0x00 | 0x20
JEQ_K = 0x05 | 0x10 | 0x00
RET_K = 0x06 | 0x00
ARCHES = {"x86_64": (0xC000003E, 42), "aarch64": (0xC00000B7, 203)}  # (AUDIT_ARCH_*, __NR_connect)


def supported() -> bool:
    return sys.platform == "linux" and platform.machine() in ARCHES


def _filter() -> bytes:
    arch, nr_connect = ARCHES[platform.machine()]

    def op(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    return b"".join([
        op(LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        op(JEQ_K, 1, 0, arch),
        op(RET_K, 0, 0, SECCOMP_RET_ALLOW),
        op(LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        op(JEQ_K, 0, 1, nr_connect),
        op(RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
        op(RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ])


def refuse_connect() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    program = _filter()
    buf = ctypes.create_string_buffer(program)

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Prog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


if __name__ == "__main__":
    refuse_connect()
    os.execv(sys.argv[1], sys.argv[1:])
