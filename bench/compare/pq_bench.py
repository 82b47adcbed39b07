"""pq_bench.py — persist-queue (SQLite backend) analogues of dq's W1/W3/W3L.

One process, one queue directory, 100-byte bytes bodies (pickled, as
persist-queue does by default):

  w1   SQLiteQueue(auto_commit=True).put(body)       -> dq W1 (put, 1 commit each)
  w3   SQLiteQueue.get(block=False) on a filled queue -> dq W3 (get, auto-ack)
  w3l  SQLiteAckQueue.get(block=False) + .ack(item)   -> dq W3L (lease + ack)

persist-queue opens its connection with `PRAGMA journal_mode=WAL` and leaves
`synchronous` at SQLite's default (FULL = 2 here), so its default is the
setting comparable to `dq --sync full`. `--sync normal` sets
`PRAGMA synchronous=NORMAL` on the queue's own connection afterwards (not a
persist-queue option; shown to compare with dq's default).

There is no W2 analogue: every put() commits on its own, whatever
auto_commit says (auto_commit=False only defers the delete of gotten items
until task_done()).

SQLiteAckQueue keeps acked rows (status=5) until clear_acked_data() is
called, and its get() selects `WHERE _id > 0 AND status < 2 ORDER BY _id`,
so each get steps over every acked row still in the table: W3L slows down
as the run goes on. This script measures it as shipped (no clearing).

usage: pq_bench.py --dir DIR --mode w1|w3|w3l --n N [--seconds S] [--sync default|normal]
A run stops at N messages or S seconds, whichever first. Prints one
RESULT<TAB>workload<TAB>value<TAB>unit<TAB>notes line.
"""
import argparse
import os
import time

import persistqueue
from persistqueue import SQLiteAckQueue, SQLiteQueue

BODY_LEN = 100


def body(i):
    s = str(i).encode()
    return s + b"x" * (BODY_LEN - len(s))


def open_queue(cls, path, sync):
    q = cls(path, auto_commit=True)
    if sync == "normal":
        q._putter.execute("PRAGMA synchronous=NORMAL")  # 1.1.0 gets through the same connection
    setting = q._putter.execute("PRAGMA synchronous").fetchone()[0]
    mode = q._putter.execute("PRAGMA journal_mode").fetchone()[0]
    return q, "journal_mode=%s synchronous=%d" % (mode, setting)


def prefill(cls, path, n):
    """Fills the queue through the public put(), with fsync off (untimed)."""
    q = cls(path, auto_commit=True)
    q._putter.execute("PRAGMA synchronous=OFF")
    for i in range(n):
        q.put(body(i))
    q.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", choices=["w1", "w3", "w3l"], required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--sync", choices=["default", "normal"], default="default")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)

    cls = SQLiteAckQueue if a.mode == "w3l" else SQLiteQueue
    if a.mode != "w1":
        prefill(cls, a.dir, a.n)
    q, setting = open_queue(cls, a.dir, a.sync)

    done = 0
    start = time.perf_counter()
    deadline = start + a.seconds
    if a.mode == "w1":
        while done < a.n and time.perf_counter() < deadline:
            q.put(body(done))
            done += 1
        workload, what = "W1", "SQLiteQueue.put, auto_commit=True"
    elif a.mode == "w3":
        while done < a.n and time.perf_counter() < deadline:
            q.get(block=False)
            done += 1
        workload, what = "W3", "SQLiteQueue.get(block=False)"
    else:
        while done < a.n and time.perf_counter() < deadline:
            item = q.get(block=False, raw=True)
            q.ack(item)
            done += 1
        workload, what = "W3L", "SQLiteAckQueue.get + ack; no lease timeout; acked rows stay and each get scans them"
    elapsed = time.perf_counter() - start
    print("RESULT\t%s\t%.0f\tmsgs/s\tn=%d; %s; %s; persist-queue %s" % (
        workload, done / elapsed, done, what, setting, persistqueue.__version__), flush=True)


if __name__ == "__main__":
    main()
