"""Tell a ferry mount the order in which a job will read its files, so the mount prefetches
just ahead of the reader (`ferry cache prefetch --order`, from Python).

In a job started by `ferry train --input-mode fastfile`, FERRY_PREFETCH_SOCKET (and
FERRY_PREFETCH_SOCKET_<CHANNEL>) name the mount's control socket. With PyTorch:

    from ferry_prefetch import PrefetchingSampler
    sampler = PrefetchingSampler(RandomSampler(dataset), dataset.files, channel_dir)
    loader = DataLoader(dataset, sampler=sampler, num_workers=4)

Every epoch the sampler draws its order from the wrapped sampler, sends the paths of the files
in that order to the mount, then yields the indices as usual.
"""
import json
import os
import socket
import threading

__all__ = ["send_order", "PrefetchingSampler"]


def send_order(paths, root, socket_path=None):
    """Sends the read order (paths under root, the channel directory) to the mount at root.
    Returns the number of files the mount will prefetch."""
    socket_path = socket_path or os.environ.get("FERRY_PREFETCH_SOCKET")
    if not socket_path:
        raise RuntimeError("no FERRY_PREFETCH_SOCKET: not in a ferry Fast File job")
    root = os.path.abspath(root)
    relative = []
    for p in paths:
        # Most paths are already plain relative ones: only others are resolved (a tenth of
        # the cost for a 10,000-file epoch).
        if p.startswith("/") or "//" in p or "/." in "/" + p:
            p = os.path.abspath(os.path.join(root, p))
            if not p.startswith(root + os.sep):
                raise ValueError("%s is not under %s" % (p, root))
            p = p[len(root) + 1:]
        relative.append(p)
    request = json.dumps({"op": "prefetch", "paths": relative}) + "\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(socket_path)
        s.sendall(request.encode())
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    lines = [json.loads(line) for line in answer.decode().splitlines() if line.strip()]
    result = lines[-1] if lines else {}
    if "error" in result:
        raise RuntimeError("ferry mount: %s" % result["error"])
    return result.get("files", 0)


class PrefetchingSampler:
    """Wraps a sampler of indices into files[]: each epoch's order goes to the mount first.

    The order is sent from a thread of its own, so that the loader starts reading at once
    (the mount's first reads do not wait for it either); a new epoch's order is sent after the
    previous one."""

    def __init__(self, sampler, files, root, socket_path=None):
        self.sampler = sampler
        self.files = files
        self.root = root
        self.socket_path = socket_path
        self._sender = None

    def _send(self, order):
        try:
            send_order([self.files[i] for i in order], self.root, self.socket_path)
        except (OSError, RuntimeError, ValueError) as e:  # an optimisation: read anyway
            print("ferry_prefetch: %s" % e)

    def __iter__(self):
        order = list(iter(self.sampler))
        if self._sender is not None:
            self._sender.join()
        self._sender = threading.Thread(target=self._send, args=(order,), daemon=True)
        self._sender.start()
        return iter(order)

    def __len__(self):
        return len(self.sampler)
