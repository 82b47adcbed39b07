#!/bin/sh
# Process start / join / terminate: dq worker runs a command per message, then stops
# gracefully on SIGTERM.
set -e
out=$(mktemp)
dq put images one.png two.png three.png
dq worker images -j 2 -- sh -c 'echo "converted $(cat)" >> "$1"; dq counter add converted >/dev/null' sh "$out" &
worker=$!
dq counter wait converted 3 --timeout 30s >/dev/null
kill -TERM $worker
wait $worker
sort "$out"
rm -f "$out"
