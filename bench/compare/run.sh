#!/usr/bin/env bash
# run.sh — measure what users reach for instead of dq (Redis lists,
# persist-queue, beanstalkd as the SQS-style broker) with the shapes of dq's
# standard workloads (W1 put 1/tx, W2 batch put, W3 get, W3L lease+ack,
# W5 two-process ping-pong), on this machine, each as real OS processes.
#
#   bash bench/compare/run.sh [--quick] [--tsv FILE]
#
# Installs what is missing (apt-get for redis/beanstalkd/hiredis, pip into
# bench/compare/.venv for persist-queue), builds the C clients with cc -O2
# into a temp dir, starts private servers on unix sockets in that temp dir,
# and removes all of it on exit. Prints one aligned table on stdout; progress
# goes to stderr. --quick: < 1 minute, small counts, for smoke runs only.
# See README.md beside this file for what each row means.
set -euo pipefail

QUICK=0
TSV_OUT=
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --tsv) TSV_OUT=${2:?--tsv needs a file}; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

HERE=$(cd "$(dirname "$0")" && pwd)
PERSIST_QUEUE_VERSION=1.1.0

if [ "$QUICK" = 1 ]; then
    N=5000          # messages for W1/W3/W3L (dq bench: 20,000)
    N2=50000        # messages for W2 (dq bench: 200,000)
    SECS=0.75       # a rate run stops at N messages or SECS seconds
    RB_N=3000       # redis-benchmark -n (no time cap of its own)
    RB_N_SLOW=1500  # redis-benchmark -n under appendfsync always
    N5=1000         # W5 round trips (dq bench: 5,000)
    N5_PQ=300       # W5 round trips for persist-queue (~3 ms each)
else
    N=20000
    N2=200000
    SECS=5
    RB_N=20000
    RB_N_SLOW=10000
    N5=5000
    N5_PQ=5000
fi

log() { printf '» %s\n' "$*" >&2; }

# ---------------------------------------------------------------- installs
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" = 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" </dev/null >&2
}
command -v cc >/dev/null || apt_install gcc libc6-dev
command -v redis-server >/dev/null || apt_install redis-server
command -v redis-benchmark >/dev/null && command -v redis-cli >/dev/null || apt_install redis-tools
command -v beanstalkd >/dev/null || apt_install beanstalkd
[ -f /usr/include/hiredis/hiredis.h ] || apt_install libhiredis-dev

PYTHON=
for p in /root/.pyenv/shims/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import venv' 2>/dev/null; then PYTHON=$p; break; fi
done
[ -n "$PYTHON" ] || apt_install python3 python3-venv
VENV=$HERE/.venv
if ! "$VENV/bin/python" -c "import persistqueue, sys; sys.exit(persistqueue.__version__ != '$PERSIST_QUEUE_VERSION')" 2>/dev/null; then
    log "creating $VENV with persist-queue==$PERSIST_QUEUE_VERSION"
    "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "persist-queue==$PERSIST_QUEUE_VERSION" </dev/null >&2
fi
PY=$VENV/bin/python

# ---------------------------------------------------------------- temp dir, cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dq-compare.XXXXXX")
SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/bin"
cc -O2 -Wall -o "$WORK/bin/redis_client" "$HERE/redis_client.c" -lhiredis
cc -O2 -Wall -o "$WORK/bin/beanstalk_client" "$HERE/beanstalk_client.c"

RESULTS=$WORK/results.tsv
: >"$RESULTS"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# run TOOL SETTING COMMAND...: runs one measurement, turns its RESULT lines
# into table rows; a failure becomes a FAILED row, not the end of the run.
run() {
    local tool=$1 setting=$2 out err
    shift 2
    err=$WORK/stderr
    if out=$("$@" 2>"$err"); then
        printf '%s\n' "$out" | awk -F'\t' -v t="$tool" -v s="$setting" \
            '$1 == "RESULT" { print t "\t" s "\t" $2 "\t" $3 "\t" $4 "\t" $5 }' >>"$RESULTS"
    else
        row "$tool" "$setting" "?" "FAILED" "-" "$(basename "$1") ${*:2}: $(tail -n 2 "$err" | tr '\t\n' '  ')"
        log "FAILED: $*: $(tail -n 2 "$err")"
    fi
}

wait_for() {  # wait_for TEST... : up to 5 s
    for _ in $(seq 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "server did not come up" >&2; return 1
}

# ---------------------------------------------------------------- Redis
REDIS_VERSION=$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')
redis_rb() {  # redis-benchmark one command in flight -> RESULT lines
    local sock=$1 n=$2
    redis-benchmark -s "$sock" -n "$n" -c 1 -P 1 -d 100 -t lpush,rpop --csv | awk -F'"' -v n="$n" '
        $2 == "LPUSH" { printf "RESULT\tW1\t%.0f\tmsgs/s\tn=%d; redis-benchmark LPUSH -c 1 -P 1 -d 100; p50 %s ms\n", $4, n, $10 }
        $2 == "RPOP"  { printf "RESULT\tW3\t%.0f\tmsgs/s\tn=%d; redis-benchmark RPOP -c 1 -P 1; p50 %s ms\n", $4, n, $10 }'
}
redis_setting() {  # redis_setting LABEL RB_N redis-server-options...
    local label=$1 rbn=$2 dir=$WORK/redis sock
    shift 2
    rm -rf "$dir"; mkdir -p "$dir"
    sock=$dir/redis.sock
    log "redis $label"
    redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$dir" \
        --logfile "$dir/redis.log" --daemonize no "$@" </dev/null &
    SERVER_PID=$!
    wait_for redis-cli -s "$sock" ping
    local tool="redis $REDIS_VERSION"
    run "$tool" "$label" redis_rb "$sock" "$rbn"
    run "$tool" "$label" "$WORK/bin/redis_client" "$sock" w1 "$N" "$SECS"
    run "$tool" "$label" "$WORK/bin/redis_client" "$sock" w2 "$N2" "$SECS"
    run "$tool" "$label" "$WORK/bin/redis_client" "$sock" w3 "$N" "$SECS"
    run "$tool" "$label" "$WORK/bin/redis_client" "$sock" w3l "$N" "$SECS"
    run "$tool" "$label" "$WORK/bin/redis_client" "$sock" w5 "$N5"
    redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true
    stop_server
}
# Built-in defaults (no config file): RDB save points 3600 1 / 300 100 /
# 60 10000, which a run this short never reaches; no AOF.
redis_setting "RDB only (default), no AOF: not crash-durable" "$RB_N" --appendonly no
redis_setting "AOF appendfsync everysec: loses <=~1 s" "$RB_N" --appendonly yes --appendfsync everysec --save ""
redis_setting "AOF appendfsync always: fsync per write (~dq --sync full)" "$RB_N_SLOW" --appendonly yes --appendfsync always --save ""

# ---------------------------------------------------------------- beanstalkd
BEANSTALKD_VERSION=$(beanstalkd -v 2>&1 | awk '{print $NF; exit}')
beanstalk_setting() {  # beanstalk_setting LABEL none|BINLOG-FSYNC-MS
    local label=$1 fsync=$2 dir=$WORK/beanstalkd sock opts=()
    rm -rf "$dir"; mkdir -p "$dir/binlog"
    sock=$dir/beanstalkd.sock
    [ "$fsync" = none ] || opts=(-b "$dir/binlog" -f "$fsync")
    log "beanstalkd $label"
    beanstalkd -l "unix:$sock" "${opts[@]}" </dev/null &
    SERVER_PID=$!
    wait_for test -S "$sock"
    local tool="beanstalkd $BEANSTALKD_VERSION"
    run "$tool" "$label" "$WORK/bin/beanstalk_client" "$sock" w1 "$N" "$SECS"
    run "$tool" "$label" "$WORK/bin/beanstalk_client" "$sock" w3l "$N" "$SECS"
    run "$tool" "$label" "$WORK/bin/beanstalk_client" "$sock" w5 "$N5"
    stop_server
}
beanstalk_setting "no binlog: memory only, not durable" none
beanstalk_setting "-b binlog -f 50 (default): fsync <= every 50 ms" 50
beanstalk_setting "-b binlog -f 0: fsync per write (~dq --sync full)" 0

# ---------------------------------------------------------------- persist-queue
pq_setting() {  # pq_setting LABEL SYNC
    local label=$1 sync=$2 m tool="persist-queue $PERSIST_QUEUE_VERSION"
    log "persist-queue $label"
    for m in w1 w3 w3l; do
        rm -rf "$WORK/pq"
        run "$tool" "$label" "$PY" "$HERE/pq_bench.py" --dir "$WORK/pq" --mode "$m" --n "$N" --seconds "$SECS" --sync "$sync"
    done
    rm -rf "$WORK/pq"
    run "$tool" "$label" "$PY" "$HERE/pq_pingpong.py" --dir "$WORK/pq" --n "$N5_PQ" --tick 0.001 --sync "$sync"
}
pq_setting "default: WAL, synchronous=FULL (~dq --sync full)" default
pq_setting "WAL, synchronous=NORMAL (PRAGMA set by us; ~dq default)" normal
PQ_STOCK="default: WAL, synchronous=FULL (~dq --sync full)"
if [ "$QUICK" = 1 ]; then
    row "persist-queue $PERSIST_QUEUE_VERSION" "$PQ_STOCK" W5 "-" "-" \
        "stock blocking get (10 s poll) skipped with --quick; takes >= 10 s per round trip"
else
    log "persist-queue W5 with the stock 10 s poll tick (1 round trip)"
    rm -rf "$WORK/pq"
    run "persist-queue $PERSIST_QUEUE_VERSION" "$PQ_STOCK" "$PY" "$HERE/pq_pingpong.py" --dir "$WORK/pq" --n 1
fi

# ---------------------------------------------------------------- the table
if [ -n "$TSV_OUT" ]; then cp "$RESULTS" "$TSV_OUT"; fi
FS=$(df -PT "$WORK" | awk 'NR == 2 { print $2 " on " $1 }')
echo "# dq comparison, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -sr), $(nproc) cores, data in ${TMPDIR:-/tmp} ($FS)$([ "$QUICK" = 1 ] && echo ', --quick: small counts, smoke only')"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)  (re-run on a quiet machine for numbers to publish)"
{
    printf 'tool\tsetting (durability)\twork\tvalue\tunit\tnotes\n'
    cat "$RESULTS"
} | awk -F'\t' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (i < 6 && length($i) > w[i]) w[i] = length($i) } }
    END {
        for (r = 1; r <= NR; r++) {
            printf "%-*s  %-*s  %-*s  %*s  %-*s  %s\n", w[1], cell[r, 1], w[2], cell[r, 2], w[3], cell[r, 3],
                w[4], cell[r, 4], w[5], cell[r, 5], cell[r, 6]
        }
    }'
