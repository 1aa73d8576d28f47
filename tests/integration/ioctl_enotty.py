#!/usr/bin/python3
"""ioctl_enotty.py CMD PROGRAM [ARGS...]: runs PROGRAM with ioctl(fd, CMD, ...) failing with
ENOTTY, as on a kernel that predates that ioctl (a seccomp filter; x86-64, no privilege)."""
import ctypes, os, struct, sys
cmd = int(sys.argv[1], 0)
def insn(code, k, jt=0, jf=0): return struct.pack('HBBI', code, jt, jf, k)
LD, JEQ, RET = 0x20, 0x15, 0x06
ALLOW, ERRNO_ENOTTY = 0x7fff0000, 0x00050000 | 25
prog = b''.join([
    insn(LD, 4), insn(JEQ, 0xC000003E, 1, 0), insn(RET, ALLOW),
    insn(LD, 0), insn(JEQ, 16, 0, 3),
    insn(LD, 24), insn(JEQ, cmd, 0, 1), insn(RET, ERRNO_ENOTTY),
    insn(RET, ALLOW)])
class fprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_char_p)]
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(fprog(len(prog) // 8, prog)), 0, 0):
    sys.exit('seccomp: ' + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[2], sys.argv[2:])
