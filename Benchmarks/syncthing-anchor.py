#!/usr/bin/env python3
"""syncthing-anchor.py — Syncthing's side of `make bench-sync-client`, measured in the same run.

Two Syncthing instances (the Debian package) inside a private network namespace that has only
loopback, set up as /work/shared/bench/BASELINE.md ("Sync engine anchor: Syncthing") describes:
discovery, relays, NAT, usage reporting, crash reporting and upgrades off; each device given the
other's explicit tcp://127.0.0.1:PORT address; folders "sendreceive" with the file watcher off and
no periodic rescan, so a scan starts only when asked (`POST /rest/db/scan`, which returns once the
scan is done) — the "explicit scan" rows of the baseline. One difference from the baseline:
`setLowPriority` is off, so Syncthing runs at the same priority as the Coffre processes it is
compared with.

Scenarios (the same data shapes as Benchmarks/sync-client-bench.sh):
  small  FILES × 4 KiB random in 100 folders
  big    one MIB MiB random file
  delta  10 bytes changed in the middle of that file (same size)
  noop   NOOP_FILES × 100 B, scanned once, then a timed rescan with nothing changed (A only)
t0 = the data is in A's folder (written to a staging folder first, then renamed in); done = B's
folder status is idle with nothing needed and B holds A's version of every file. Bytes are the
connection totals (`/rest/system/connections`, A's out / in). Prints one JSON object per
scenario on standard output; progress goes to standard error.

Usage: syncthing-anchor.py WORKDIR SCENARIO[,SCENARIO...] [--files N] [--mib N] [--noop-files N]
Needs root (ip netns). Everything it starts is stopped and the namespace deleted on exit.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_trees import write_tree  # noqa: E402  (the trees Coffre's run writes too)

FOLDER = "bench"


class RestError(Exception):
    """A REST call to a Syncthing instance failed (curl's message)."""


def log(text):
    print(f"[syncthing-anchor] {text}", file=sys.stderr, flush=True)


class Namespace:
    """A network namespace with only loopback up (ip-netns(8))."""

    def __init__(self, name):
        self.name = name
        subprocess.run(["ip", "netns", "add", name], check=True)
        self.run(["ip", "link", "set", "lo", "up"])

    def command(self, argv):
        return ["ip", "netns", "exec", self.name] + argv

    def run(self, argv):
        subprocess.run(self.command(argv), check=True, stdout=subprocess.DEVNULL)

    def delete(self):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


class Instance:
    """One Syncthing instance: its home, ports, REST API and process."""

    def __init__(self, namespace, home, gui_port, listen_port):
        self.namespace = namespace
        self.home = home
        self.gui_port = gui_port
        self.listen_port = listen_port
        self.process = None
        out = subprocess.run(
            ["syncthing", "generate", f"--home={home}", "--no-default-folder", "--skip-port-probing"],
            check=True, capture_output=True, text=True)
        text = out.stdout + out.stderr
        self.device_id = next(line.split("Device ID:")[1].strip() for line in text.splitlines() if "Device ID:" in line)
        self.api_key = f"coffre-bench-{os.getpid()}-{gui_port}"
        self._configure()

    def _configure(self):
        path = os.path.join(self.home, "config.xml")
        tree = ET.parse(path)
        root = tree.getroot()
        gui = root.find("gui")
        gui.find("address").text = f"127.0.0.1:{self.gui_port}"
        gui.find("apikey").text = self.api_key
        options = root.find("options")
        settings = {
            "listenAddress": f"tcp://127.0.0.1:{self.listen_port}",
            "globalAnnounceEnabled": "false", "localAnnounceEnabled": "false", "relaysEnabled": "false",
            "natEnabled": "false", "startBrowser": "false", "urAccepted": "-1", "autoUpgradeIntervalH": "0",
            "crashReportingEnabled": "false", "announceLANAddresses": "false", "setLowPriority": "false",
            "urURL": "", "releasesURL": "", "crashReportingURL": "", "stunServer": "",
            "globalAnnounceServer": "",
        }
        for key, value in settings.items():
            element = options.find(key)
            if element is None:
                element = ET.SubElement(options, key)
            element.text = value
        tree.write(path)

    def start(self):
        env = dict(os.environ, STNODEFAULTFOLDER="1", STNOUPGRADE="1", STNORESTART="1")
        self.log_file = open(os.path.join(self.home, "syncthing.log"), "w")
        self.process = subprocess.Popen(
            self.namespace.command(["syncthing", "serve", f"--home={self.home}", "--no-browser", "--no-restart"]),
            env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                self.get("/rest/system/ping")
                return
            except RestError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"syncthing exited; see {self.home}/syncthing.log")
                time.sleep(0.2)
        raise RuntimeError("syncthing's REST API did not answer within 60 s")

    def request(self, method, path, body=None, timeout=600):
        # The REST API listens inside the namespace; reach it through the namespace's loopback
        # with a tiny client run there (curl), since this process lives outside it.
        argv = ["curl", "-sS", "--fail", "-m", str(timeout), "-X", method, "-H", f"X-API-Key: {self.api_key}"]
        if body is not None:
            argv += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
        argv.append(f"http://127.0.0.1:{self.gui_port}{path}")
        out = subprocess.run(self.namespace.command(argv), capture_output=True, text=True)
        if out.returncode != 0:
            raise RestError(f"{method} {path}: {out.stderr.strip()}")
        return json.loads(out.stdout) if out.stdout.strip() else None

    def get(self, path):
        return self.request("GET", path)

    def stop(self):
        if self.process and self.process.poll() is None:
            try:
                self.request("POST", "/rest/system/shutdown", timeout=10)
                self.process.wait(timeout=20)
            except Exception:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self):
        """User + system CPU of the syncthing processes under this instance (proc(5))."""
        total = 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        for pid in self._pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
            except OSError:
                pass
        return total

    def _pids(self):
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read().split(b"\0")
            except OSError:
                continue
            if cmdline and cmdline[0].endswith(b"syncthing") and f"--home={self.home}".encode() in cmdline:
                pids.append(int(entry))
        return pids


def add_folder(instance, path, peers):
    os.makedirs(path, exist_ok=True)
    instance.request("PUT", f"/rest/config/folders/{FOLDER}", {
        "id": FOLDER, "label": FOLDER, "path": path, "type": "sendreceive",
        "devices": [{"deviceID": instance.device_id}] + [{"deviceID": peer.device_id} for peer in peers],
        "fsWatcherEnabled": False, "rescanIntervalS": 0,
    })


def connect(a, b):
    for me, other in ((a, b), (b, a)):
        me.request("PUT", f"/rest/config/devices/{other.device_id}", {
            "deviceID": other.device_id, "name": "peer", "addresses": [f"tcp://127.0.0.1:{other.listen_port}"],
        })


def wait_connected(a, b, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if a.get("/rest/system/connections")["connections"].get(b.device_id, {}).get("connected"):
            return
        time.sleep(0.2)
    raise RuntimeError("the two Syncthing instances did not connect")


def wait_folder_idle(instance, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if instance.get(f"/rest/db/status?folder={FOLDER}").get("state") == "idle":
            return
        time.sleep(0.1)
    raise RuntimeError("folder did not become idle")


def scan(instance):
    instance.request("POST", f"/rest/db/scan?folder={FOLDER}")


def local_version(instance, name):
    return instance.get(f"/rest/db/file?folder={FOLDER}&file={name}")["local"]["version"]


def wait_synced(a, b, expected_files, check_name=None, timeout=900):
    """B is done: idle, nothing needed, every file present (and, for an edit, A's version of
    `check_name`)."""
    want = local_version(a, check_name) if check_name else None
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = b.get(f"/rest/db/status?folder={FOLDER}")
        done = (status.get("state") == "idle" and status.get("needTotalItems") == 0
                and status.get("globalFiles") == expected_files and status.get("localFiles") == expected_files)
        if done and want is not None:
            done = local_version(b, check_name) == want
        if done:
            return
        time.sleep(0.05)
    raise RuntimeError("B did not finish in time")


def same_trees(left, right):
    """True when both folders hold the same files with the same bytes (Syncthing's own
    .stfolder marker aside)."""
    def files(root):
        found = {}
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".stfolder", ".stversions")]
            for name in names:
                path = os.path.join(folder, name)
                found[os.path.relpath(path, root)] = path
        return found
    a, b = files(left), files(right)
    if a.keys() != b.keys():
        return False
    return all(subprocess.run(["cmp", "-s", a[k], b[k]]).returncode == 0 for k in a)


def connection_bytes(a, b):
    connection = a.get("/rest/system/connections")["connections"].get(b.device_id, {})
    return connection.get("outBytesTotal", 0), connection.get("inBytesTotal", 0)


def write_big(path, mib):
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))


def move_contents(staging, destination):
    for name in os.listdir(staging):
        os.rename(os.path.join(staging, name), os.path.join(destination, name))


def timed_sync(a, b, expected_files, check_name=None):
    """Scan A, wait for B; returns seconds, bytes out/in on A and CPU of A and B."""
    out0, in0 = connection_bytes(a, b)
    cpu_a, cpu_b = a.cpu_seconds(), b.cpu_seconds()
    start = time.monotonic()
    scan(a)
    wait_synced(a, b, expected_files, check_name)
    seconds = time.monotonic() - start
    out1, in1 = connection_bytes(a, b)
    return {
        "seconds": round(seconds, 2), "sent_bytes": out1 - out0, "received_bytes": in1 - in0,
        "cpu_a": round(a.cpu_seconds() - cpu_a, 2), "cpu_b": round(b.cpu_seconds() - cpu_b, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir")
    parser.add_argument("scenarios")
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--noop-files", type=int, default=100000)
    parser.add_argument("--base-port", type=int, default=22100)
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    namespace = Namespace(f"coffre-st-{os.getpid()}")
    instances = []

    def stop(*_):
        for instance in instances:
            instance.stop()
        namespace.delete()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        results = {}
        for scenario in scenarios:
            # A fresh pair per scenario (except delta, which edits big's file), so one scenario's
            # database never slows the next.
            if scenario != "delta":
                for instance in instances:
                    instance.stop()
                instances.clear()
                base = os.path.join(args.workdir, scenario)
                shutil.rmtree(base, ignore_errors=True)
                port = args.base_port + 10 * len(results)
                a = Instance(namespace, os.path.join(base, "home-a"), port, port + 1)
                b = Instance(namespace, os.path.join(base, "home-b"), port + 2, port + 3)
                instances += [a, b]
                a.start()
                b.start()
                connect(a, b)
                folder_a, folder_b = os.path.join(base, "a"), os.path.join(base, "b")
                add_folder(a, folder_a, [b] if scenario != "noop" else [])
                add_folder(b, folder_b, [a] if scenario != "noop" else [])
                if scenario != "noop":
                    wait_connected(a, b)
                wait_folder_idle(a)
                wait_folder_idle(b)
                staging = os.path.join(base, "staging")
                os.makedirs(staging)
            log(f"{scenario}: writing data")
            if scenario == "small":
                write_tree(staging, args.files, "small")
                move_contents(staging, folder_a)
                results[scenario] = timed_sync(a, b, args.files)
            elif scenario == "big":
                write_big(os.path.join(staging, "big.bin"), args.mib)
                move_contents(staging, folder_a)
                results[scenario] = timed_sync(a, b, 1, "big.bin")
            elif scenario == "delta":
                if "big" not in results:
                    raise SystemExit("delta needs big first")
                with open(os.path.join(folder_a, "big.bin"), "r+b") as f:
                    f.seek((args.mib << 20) // 2)
                    f.write(b"0123456789")
                results[scenario] = timed_sync(a, b, 1, "big.bin")
            elif scenario == "noop":
                write_tree(staging, args.noop_files, "noop")
                move_contents(staging, folder_a)
                scan(a)  # the first scan indexes everything; not timed
                cpu = a.cpu_seconds()
                start = time.monotonic()
                scan(a)
                results[scenario] = {"seconds": round(time.monotonic() - start, 2), "cpu_a": round(a.cpu_seconds() - cpu, 2)}
            else:
                raise SystemExit(f"unknown scenario {scenario}")
            if scenario != "noop" and not same_trees(folder_a, folder_b):
                raise SystemExit(f"{scenario}: B's folder differs from A's")
            log(f"{scenario}: {json.dumps(results[scenario])}")
            print(json.dumps({"scenario": scenario, **results[scenario]}), flush=True)
    finally:
        stop()


if __name__ == "__main__":
    main()
