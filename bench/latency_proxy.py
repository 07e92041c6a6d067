"""A TCP proxy on 127.0.0.1 that holds every chunk a client sends for a fixed delay before
forwarding it: each request then waits one emulated round trip, as against a remote endpoint
(this kernel has no netem). For benchmarks only."""
import asyncio
import socket
import threading


class LatencyProxy:
    def __init__(self, upstream_port, delay_ms):
        self.upstream_port = upstream_port
        self.delay = delay_ms / 1000.0
        self.loop = asyncio.new_event_loop()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.sock = sock
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    async def _pipe(self, reader, writer, delay):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if delay:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer, self.delay),
                             self._pipe(up_reader, writer, 0))

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, sock=self.sock))
        self.server = server
        self.loop.run_forever()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
