"""The fault-injecting TCP proxy of the tests (tests/fault_proxy_main.cc), as a process."""
import os
import signal
import subprocess
import time

PROXY_BIN = os.environ.get("FAULT_PROXY_BIN", "ferry_fault_proxy")


class FaultProxy:
    def __init__(self, upstream_port, rules, workdir):
        self.port_file = os.path.join(workdir, "proxy.port")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.proc = subprocess.Popen(
            [PROXY_BIN, "--upstream", str(upstream_port), "--port-file", self.port_file] +
            [arg for rule in rules for arg in ("--rule", rule)],
            stdout=subprocess.PIPE, text=True)
        deadline = time.time() + 10
        while not os.path.exists(self.port_file):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("fault proxy did not start")
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())

    def stop(self):
        """Stops the proxy and returns how many faults it injected."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        return int(out.strip() or 0)
