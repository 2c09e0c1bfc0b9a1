"""Set or clear a file's immutable flag, as chattr +i/-i does (the trixie image has no chattr).

Run with podman exec --privileged: python3 - PATH on|off < file_flags.py
"""
import fcntl
import struct
import sys

FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_IMMUTABLE_FL = 0x10

path, state = sys.argv[1], sys.argv[2]
with open(path, 'rb') as handle:
    flags = struct.unpack('i', fcntl.ioctl(handle.fileno(), FS_IOC_GETFLAGS, bytes(8))[:4])[0]
    flags = flags | FS_IMMUTABLE_FL if state == 'on' else flags & ~FS_IMMUTABLE_FL
    fcntl.ioctl(handle.fileno(), FS_IOC_SETFLAGS, struct.pack('i', flags))
