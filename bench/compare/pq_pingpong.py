"""pq_pingpong.py — persist-queue analogue of dq's W5 ping-pong round trip.

Two separate `python3 pq_pingpong.py ping|pong` OS processes (started by this
same script run without a role), sharing one SQLite file with two
SQLiteQueue tables, req and rep (16-byte bodies):

  ping: t0; req.put(body); rep.get(block=True, timeout=T); sample now-t0
  pong: r = req.get(block=True, timeout=T); rep.put(r)

Both print "ready" once their queues are open and wait for "go" on stdin
(the barrier), as dq bench's roles do; ping prints the RESULT line.

Why --tick matters: persist-queue's blocking get() waits on a
threading.Event that only a put() *in the same process* sets; from another
process nothing wakes it, so it re-polls SQLite every
persistqueue.sqlbase.TICK_FOR_WAIT seconds (10 s in 1.1.0) or when its
timeout runs out, whichever is sooner. With the stock tick a cross-process
round trip therefore takes ~10 s. `--tick S` sets that module constant in
both processes (a monkey-patch, not an API) so get() polls every S seconds.

usage: pq_pingpong.py --dir DIR --n N [--tick S] [--sync default|normal]
"""
import argparse
import os
import resource
import subprocess
import sys
import time

import persistqueue
import persistqueue.sqlbase
from persistqueue import SQLiteQueue

PING_LEN = 16
GET_TIMEOUT = 60.0


def open_queues(path, sync):
    req = SQLiteQueue(path, name="req", auto_commit=True)
    rep = SQLiteQueue(path, name="rep", auto_commit=True)
    for q in (req, rep):
        if sync == "normal":
            q._putter.execute("PRAGMA synchronous=NORMAL")
    setting = req._putter.execute("PRAGMA synchronous").fetchone()[0]
    return req, rep, setting


def barrier():
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit("no go")


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def role(a):
    if a.tick is not None:
        persistqueue.sqlbase.TICK_FOR_WAIT = a.tick
    req, rep, setting = open_queues(a.dir, a.sync)
    barrier()
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    if a.role == "pong":
        for _ in range(a.n):
            rep.put(req.get(block=True, timeout=GET_TIMEOUT))
        print("pong cpu %.3f wall %.3f" % (cpu_seconds() - cpu0, time.perf_counter() - wall0), flush=True)
        return
    body = b"*" * PING_LEN
    samples = []
    for _ in range(a.n):
        t0 = time.perf_counter_ns()
        req.put(body)
        rep.get(block=True, timeout=GET_TIMEOUT)
        samples.append(time.perf_counter_ns() - t0)
    cpu = cpu_seconds() - cpu0
    wall = time.perf_counter() - wall0
    samples.sort()

    def pct(p):  # nearest rank
        rank = max(1, min(len(samples), -(-len(samples) * p // 100)))
        return samples[int(rank) - 1] / 1000.0

    tick = persistqueue.sqlbase.TICK_FOR_WAIT
    print("RESULT\tW5\t%.1f\tus p50\tp99=%.1f us; p99.9=%.1f us; n=%d; blocking get polls every %g s%s; "
          "ping cpu %.0f%%; journal_mode=wal synchronous=%d" % (
              pct(50), pct(99), pct(99.9), len(samples), tick,
              "" if a.tick is not None else " (stock)", 100 * cpu / wall, setting), flush=True)


def launch(a):
    os.makedirs(a.dir, exist_ok=True)
    SQLiteQueue(a.dir, name="req").close()  # create the file and tables once
    SQLiteQueue(a.dir, name="rep").close()
    args = ["--dir", a.dir, "--n", str(a.n), "--sync", a.sync]
    if a.tick is not None:
        args += ["--tick", str(a.tick)]
    procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), r] + args,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for r in ("pong", "ping")]
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            sys.exit("a role failed to start")
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    pong_out = procs[0].stdout.read()
    ping_out = procs[1].stdout.read()
    if any(p.wait() != 0 for p in procs):
        sys.exit("a role failed")
    line = ping_out.strip()
    cpu, wall = [float(x) for x in pong_out.split()[2::2]]
    print("%s; pong cpu %.0f%%" % (line, 100 * cpu / wall), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", nargs="?", choices=["ping", "pong"])
    p.add_argument("--dir", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--tick", type=float)
    p.add_argument("--sync", choices=["default", "normal"], default="default")
    a = p.parse_args()
    if a.role:
        role(a)
    else:
        launch(a)


if __name__ == "__main__":
    main()
