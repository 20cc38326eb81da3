#!/usr/bin/env python3
"""Checks that `virtsyncd serve` under fdstore.py survives SIGKILL and SIGTERM without its front end noticing.

    fdstore.py --pidfile PIDFILE -- virtsyncd serve --socket SOCK --serve:stateDirectory=DIR --metrics:enabled=false --status:enabled=false &
    vhost_user_restart_check.py SOCK PIDFILE

A minimal vhost-user front end (no VM): memfd guest memory, requestq only (no protocol features, no EVENT_IDX),
READ requests on clock 0. It answers one READ, SIGKILLs serve (pid from PIDFILE), posts a READ while no serve
runs and waits for its answer from the restarted one, sends another, then SIGTERMs serve and does it again.
Each line printed is (virtio-rtc status, reading in ns). Standard library only; Linux, Python 3.10+.
"""
import array, mmap, os, select, signal, socket, struct, sys, time

sock_path, pidfile = sys.argv[1], sys.argv[2]
MEM = 1 << 20
U = 0x100000000000
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
for _ in range(100):
    try:
        s.connect(sock_path); break
    except OSError:
        time.sleep(0.1)
def send(req, payload=b"", fds=()):
    msg = struct.pack("<III", req, 1, len(payload)) + payload
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    s.sendmsg([msg], anc)
def reply():
    hdr = s.recv(12, socket.MSG_WAITALL); req, flags, size = struct.unpack("<III", hdr)
    return s.recv(size, socket.MSG_WAITALL)
send(1); features = struct.unpack("<Q", reply())[0]
send(2, struct.pack("<Q", 1 << 32)); send(3)
memfd = os.memfd_create("guest"); os.ftruncate(memfd, MEM); mem = mmap.mmap(memfd, MEM)
send(5, struct.pack("<II", 1, 0) + struct.pack("<QQQQ", 0, MEM, U, 0), [memfd])
send(8, struct.pack("<II", 0, 16)); send(10, struct.pack("<II", 0, 0))
DESC, AVAIL, USED = 0x1000, 0x1100, 0x2000
send(9, struct.pack("<IIQQQQ", 0, 0, U + DESC, U + USED, U + AVAIL, 0))
kick, call = os.eventfd(0, os.EFD_NONBLOCK), os.eventfd(0, os.EFD_NONBLOCK)
send(13, struct.pack("<Q", 0), [call]); send(12, struct.pack("<Q", 0), [kick])
send(1); reply()  # barrier
avail_idx = 0
def post(head):
    global avail_idx
    req, resp = 0x10000 + head * 0x100, 0x18000 + head * 0x100
    mem[req:req + 16] = struct.pack("<HxxxxxxHxxxxxx", 1, 0)
    mem[DESC + 16 * head: DESC + 16 * head + 16] = struct.pack("<QIHH", req, 16, 1, head + 1)
    mem[DESC + 16 * (head + 1): DESC + 16 * (head + 2)] = struct.pack("<QIHH", resp, 16, 2, 0)
    struct.pack_into("<H", mem, AVAIL + 4 + 2 * (avail_idx % 16), head)
    avail_idx += 1
    struct.pack_into("<H", mem, AVAIL + 2, avail_idx)
    os.eventfd_write(kick, 1)
    return resp
def wait_used(n, timeout):
    deadline = time.time() + timeout
    while struct.unpack_from("<H", mem, USED + 2)[0] < n:
        left = deadline - time.time()
        if left <= 0: return False
        if select.select([call], [], [], left)[0]: os.eventfd_read(call)
    return True
def answer(resp):
    status, reading = struct.unpack_from("<B7xq", mem, resp)
    return status, reading
r = post(0); assert wait_used(1, 5), "no answer before the kill"; print("before kill:", answer(r), flush=True)
pid = int(open(pidfile).read()); os.kill(pid, signal.SIGKILL); print("killed", pid, flush=True)
r = post(2); t0 = time.time()
ok = wait_used(2, 30); print("answer posted while dead:", ok, answer(r), f"after {time.time() - t0:.1f} s", flush=True)
r = post(4); ok = wait_used(3, 5); print("after restart:", ok, answer(r), "used idx", struct.unpack_from("<H", mem, USED + 2)[0], flush=True)
pid = int(open(pidfile).read()); print("new pid", pid, flush=True)
os.kill(pid, signal.SIGTERM); time.sleep(0.3)
r = post(6); t0 = time.time(); ok = wait_used(4, 30)
print("after SIGTERM restart:", ok, answer(r), "used idx", struct.unpack_from("<H", mem, USED + 2)[0], f"after {time.time() - t0:.1f} s; pid", open(pidfile).read().strip(), flush=True)
s.close()
