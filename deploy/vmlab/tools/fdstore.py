#!/usr/bin/env python3
"""A minimal stand-in for systemd's file descriptor store, for the VM lab (where PID 1 is not systemd).

    fdstore.py --pidfile FILE [--restart-delay S] [--max-fds N] [--verbose] -- virtsyncd serve --socket ...

Creates a datagram socket in a temporary directory and runs the command with NOTIFY_SOCKET pointing at it.
Keeps what the child stores with sd_notify "FDSTORE=1\\nFDNAME=name" (+ SCM_RIGHTS) and drops every fd of a
name on "FDSTOREREMOVE=1\\nFDNAME=name", like systemd with FileDescriptorStoreMax=N. When the child dies (crash,
SIGKILL, any exit) it is started again, after --restart-delay seconds, with the stored fds at 3, 4, ... and
LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (the child's own pid) set, as systemd does with
FileDescriptorStorePreserve=yes; the store keeps its fds (the child may store them again: serve removes a
name before storing it). Like systemd, an fd that is the same open file as one already stored (kcmp) is
not stored again, whatever its name. Exit codes 64 and 78 (usage and configuration errors) are not restarted
(RestartPreventExitStatus); the supervisor exits with that code.

The current child's PID is written to --pidfile at each start (the lab kills it to simulate a crash).
SIGTERM or SIGINT stops the child (SIGTERM, then SIGKILL after 10 s) and exits 0.
One line per start goes to stderr: "fdstore: started pid P (start #k) with N fds: names".
Standard library only; Linux.
"""
import argparse
import array
import ctypes
import errno
import fcntl
import os
import platform
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

NO_RESTART_EXIT_CODES = (64, 78)
MAX_FDS_PER_MESSAGE = 253  # SCM_MAX_FD
STOP_TIMEOUT_S = 10.0


def log(message):
    print(f"fdstore: {message}", file=sys.stderr, flush=True)


KCMP_SYSCALL = {"x86_64": 312, "aarch64": 272}.get(platform.machine())
KCMP_FILE = 0
_libc = ctypes.CDLL(None, use_errno=True)


def same_file(a, b):
    """systemd's same_fd(): kcmp(KCMP_FILE) says whether two fds are one open file; False when unavailable."""
    if KCMP_SYSCALL is None:
        return False
    pid = os.getpid()
    return _libc.syscall(KCMP_SYSCALL, pid, pid, KCMP_FILE, a, b) == 0


def valid_name(name):
    # systemd: at most 255 characters, printable ASCII, no ':' (it separates LISTEN_FDNAMES).
    return 0 < len(name) <= 255 and all(32 < ord(c) < 127 and c != ":" for c in name)


class Store:
    """Named fds in the order they were stored; one name may hold several fds (as in systemd)."""

    def __init__(self, max_fds):
        self.max_fds = max_fds
        self.entries = []  # [(name, fd)]

    def add(self, name, fd):
        if len(self.entries) >= self.max_fds:
            log(f"store full ({self.max_fds} fds): dropping {name}")
            os.close(fd)
            return
        for stored_name, stored in self.entries:
            if same_file(stored, fd):
                log(f"{name}: same file as the stored {stored_name}; not stored again (as systemd)")
                os.close(fd)
                return
        os.set_inheritable(fd, False)
        self.entries.append((name, fd))

    def remove(self, name):
        kept = []
        for entry_name, fd in self.entries:
            if entry_name == name:
                os.close(fd)
            else:
                kept.append((entry_name, fd))
        self.entries = kept

    def close_all(self):
        for _, fd in self.entries:
            os.close(fd)
        self.entries = []


def apply_message(store, data, fds, verbose):
    fields = {}
    for line in data.decode("ascii", "replace").split("\n"):
        key, sep, value = line.partition("=")
        if sep:
            fields[key] = value
    name = fields.get("FDNAME", "stored")
    if fields.get("FDSTORE") == "1":
        if not valid_name(name):
            log(f"invalid FDNAME {name!r}: closing {len(fds)} fds")
            for fd in fds:
                os.close(fd)
            return
        for fd in fds:
            store.add(name, fd)
        if verbose:
            log(f"stored {name} ({len(fds)} fds; {len(store.entries)} in the store)")
        return
    for fd in fds:  # fds with any other message are not kept (systemd does the same)
        os.close(fd)
    if fields.get("FDSTOREREMOVE") == "1":
        store.remove(name)
        if verbose:
            log(f"removed {name} ({len(store.entries)} in the store)")
    elif verbose:
        log("notify: " + " ".join(f"{k}={v}" for k, v in fields.items()))


def receive_pending(sock, store, verbose):
    """Applies every datagram queued on the notify socket (non-blocking)."""
    space = socket.CMSG_SPACE(MAX_FDS_PER_MESSAGE * array.array("i").itemsize)
    while True:
        try:
            data, ancdata, flags, _ = sock.recvmsg(4096, space, socket.MSG_DONTWAIT | socket.MSG_CMSG_CLOEXEC)
        except BlockingIOError:
            return
        except InterruptedError:
            continue
        fds = []
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                received = array.array("i")
                received.frombytes(payload[: len(payload) - (len(payload) % received.itemsize)])
                fds.extend(received)
        if flags & (socket.MSG_CTRUNC | socket.MSG_TRUNC):
            log("truncated notify message: ignoring it")
            for fd in fds:
                os.close(fd)
            continue
        apply_message(store, data, fds, verbose)


def start_child(command, store, notify_path):
    env = dict(os.environ)
    env["NOTIFY_SOCKET"] = notify_path
    for key in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
        env.pop(key, None)
    fds = [fd for _, fd in store.entries]
    argv = list(command)
    if fds:
        env["LISTEN_FDS"] = str(len(fds))
        env["LISTEN_FDNAMES"] = ":".join(name for name, _ in store.entries)
        # LISTEN_PID must be the pid that reads it: the shell execs the command in its own process.
        argv = ["/bin/sh", "-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', "fdstore-child"] + argv

    def place_fds():
        # In the child, before exec: move the stored fds to 3, 4, ... (through high copies, so no target
        # overwrites a source); everything else the supervisor holds is close-on-exec.
        base = max(3 + len(fds), 64)
        copies = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, base) for fd in fds]
        for index, copy in enumerate(copies):
            os.dup2(copy, 3 + index, inheritable=True)

    return subprocess.Popen(argv, env=env, close_fds=False, preexec_fn=place_fds if fds else None)


def write_pidfile(path, pid):
    temporary = f"{path}.tmp"
    with open(temporary, "w") as f:
        f.write(f"{pid}\n")
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description="Run a command under a minimal systemd-like fd store and restart it when it dies.")
    parser.add_argument("--pidfile", required=True, help="file that holds the current child's pid")
    parser.add_argument("--restart-delay", type=float, default=0.0, help="seconds between a death and the restart")
    parser.add_argument("--max-fds", type=int, default=512, help="like FileDescriptorStoreMax=")
    parser.add_argument("--verbose", action="store_true", help="log every notify message")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command and arguments")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command: use fdstore.py --pidfile FILE -- COMMAND ...")
    if args.restart_delay < 0 or args.max_fds < 0:
        parser.error("--restart-delay and --max-fds must not be negative")

    directory = tempfile.mkdtemp(prefix="fdstore-")
    notify_path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)
    sock.setblocking(False)

    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    stop = {"requested": False}

    def on_stop(signum, frame):
        stop["requested"] = True

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)

    store = Store(args.max_fds)
    exit_code = 0
    starts = 0
    child = None
    restart_at = time.monotonic()
    try:
        while True:
            if stop["requested"]:
                break
            now = time.monotonic()
            if child is None and now >= restart_at:
                receive_pending(sock, store, args.verbose)
                child = start_child(command, store, notify_path)
                starts += 1
                write_pidfile(args.pidfile, child.pid)
                names = ",".join(name for name, _ in store.entries) or "-"
                log(f"started pid {child.pid} (start #{starts}) with {len(store.entries)} fds: {names}")
            timeout = None if child is not None else max(0.0, restart_at - time.monotonic())
            try:
                ready, _, _ = select.select([sock, wake_read], [], [], timeout)
            except InterruptedError:
                ready = []
            if wake_read in ready:
                try:
                    while os.read(wake_read, 512):
                        pass
                except BlockingIOError:
                    pass
            if sock in ready:
                receive_pending(sock, store, args.verbose)
            if child is not None and child.poll() is not None:
                # What the child sent before it died is queued already: apply it before the restart.
                receive_pending(sock, store, args.verbose)
                code = child.returncode
                how = f"signal {-code}" if code < 0 else f"exit code {code}"
                log(f"pid {child.pid} ended with {how}; {len(store.entries)} fds in the store")
                child = None
                if code in NO_RESTART_EXIT_CODES:
                    log(f"exit code {code} is not restarted (usage or configuration error)")
                    exit_code = code
                    break
                restart_at = time.monotonic() + args.restart_delay
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_TIMEOUT_S)
            except Exception:
                child.kill()
                child.wait()
            log(f"stopped pid {child.pid}")
        store.close_all()
        sock.close()
        shutil.rmtree(directory, ignore_errors=True)
        try:
            os.unlink(args.pidfile)
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
