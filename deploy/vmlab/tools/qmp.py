#!/usr/bin/env python3
"""Sends QMP commands to a QEMU monitor socket (-qmp unix:PATH,server=on,wait=off) and prints each reply.

    qmp.py SOCKET COMMAND [COMMAND ...]     e.g. qmp.py run/qmp.sock stop      qmp.py run/qmp.sock cont
    A COMMAND is an execute name, or NAME:JSON-ARGUMENTS ('migrate:{"uri":"file:/tmp/vm.state"}').
Exit status 1 when a command returned an error."""
import json
import socket
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(argv[1])
    stream = sock.makefile("rw")

    def reply():
        while True:
            line = stream.readline()
            if not line:
                raise EOFError("QMP closed the connection")
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    reply()  # greeting
    stream.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    stream.flush()
    reply()
    failed = False
    for cmd in argv[2:]:
        name, _, args = cmd.partition(":")
        request = {"execute": name}
        if args:
            request["arguments"] = json.loads(args)
        stream.write(json.dumps(request) + "\n")
        stream.flush()
        r = reply()
        print(json.dumps(r))
        failed |= "error" in r
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
