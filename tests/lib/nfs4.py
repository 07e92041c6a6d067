"""A minimal NFSv4.0 client (RFC 7530) over TCP with AUTH_SYS, enough to keep a file handle
and use it again later, as a client that survives a server restart does: PUTROOTFH, LOOKUP,
GETFH, PUTFH, READ (with the anonymous stateid). libnfs has no call that takes a saved handle,
so the tests speak the protocol themselves. XDR by hand: the messages are few and small."""
import socket
import struct

PROGRAM, VERSION, COMPOUND = 100003, 4, 1
OP_GETFH, OP_LOOKUP, OP_PUTFH, OP_PUTROOTFH, OP_READ = 10, 15, 22, 24, 25
NFS4_OK, NFS4ERR_STALE, NFS4ERR_FHEXPIRED, NFS4ERR_BADHANDLE = 0, 70, 45, 10001


class NfsError(Exception):
    def __init__(self, op, status):
        super().__init__("NFSv4 op %d failed with status %d" % (op, status))
        self.op = op
        self.status = status


def _u32(n):
    return struct.pack(">I", n)


def _opaque(b):
    pad = (4 - len(b) % 4) % 4
    return _u32(len(b)) + b + b"\0" * pad


class _Reader:
    def __init__(self, data):
        self.data = data
        self.at = 0

    def u32(self):
        v = struct.unpack_from(">I", self.data, self.at)[0]
        self.at += 4
        return v

    def u64(self):
        v = struct.unpack_from(">Q", self.data, self.at)[0]
        self.at += 8
        return v

    def opaque(self):
        n = self.u32()
        v = self.data[self.at:self.at + n]
        self.at += n + (4 - n % 4) % 4
        return v


class Client:
    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.xid = 0x4E465334

    def close(self):
        self.sock.close()

    def _recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("the NFS server closed the connection")
            out += chunk
        return out

    def compound(self, ops):
        """ops: [(opcode, encoded args)]; returns [(opcode, _Reader at the op's result body)]
        or raises NfsError for the first op that failed."""
        self.xid += 1
        cred = _u32(0) + _opaque(b"ferry-test") + _u32(0) + _u32(0) + _u32(0)
        call = (_u32(self.xid) + _u32(0) + _u32(2) + _u32(PROGRAM) + _u32(VERSION) +
                _u32(COMPOUND) + _u32(1) + _opaque(cred) + _u32(0) + _opaque(b""))
        args = _opaque(b"") + _u32(0) + _u32(len(ops))
        for opcode, body in ops:
            args += _u32(opcode) + body
        message = call + args
        self.sock.sendall(_u32(0x80000000 | len(message)) + message)
        data = b""
        while True:
            header = struct.unpack(">I", self._recv_exact(4))[0]
            data += self._recv_exact(header & 0x7FFFFFFF)
            if header & 0x80000000:
                break
        r = _Reader(data)
        if r.u32() != self.xid or r.u32() != 1 or r.u32() != 0:
            raise ConnectionError("not an accepted reply to this call")
        r.u32()
        r.opaque()  # verifier
        if r.u32() != 0:
            raise ConnectionError("the call was not executed")
        r.u32()  # compound status: the failing op's
        r.opaque()  # tag
        results = []
        for _ in range(r.u32()):
            opcode, status = r.u32(), r.u32()
            if status != NFS4_OK:
                raise NfsError(opcode, status)
            results.append((opcode, r))
            if opcode == OP_GETFH:
                results[-1] = (opcode, r.opaque())
            elif opcode == OP_READ:
                eof = r.u32()
                results[-1] = (opcode, (bool(eof), r.opaque()))
        return results

    def handle_of(self, path):
        """The file handle of an absolute path in the server's pseudo tree."""
        ops = [(OP_PUTROOTFH, b"")]
        for part in [p for p in path.split("/") if p]:
            ops.append((OP_LOOKUP, _opaque(part.encode())))
        ops.append((OP_GETFH, b""))
        return self.compound(ops)[-1][1]

    def read(self, handle, offset=0, count=1 << 20):
        """Up to count bytes at offset, in as many READs as the server wants."""
        stateid = _u32(0) + b"\0" * 12  # the anonymous stateid
        out = b""
        while len(out) < count:
            res = self.compound([(OP_PUTFH, _opaque(handle)),
                                 (OP_READ, stateid + struct.pack(">Q", offset + len(out)) +
                                  _u32(count - len(out)))])
            eof, data = res[-1][1]
            out += data
            if eof or not data:
                break
        return out
