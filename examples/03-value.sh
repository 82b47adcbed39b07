#!/bin/sh
# Value: four processes increment one shared counter; no update is lost.
set -e
for worker in 1 2 3 4; do
    ( i=0; while [ $i -lt 25 ]; do dq counter add hits >/dev/null; i=$((i + 1)); done ) &
done
wait
echo "hits: $(dq counter get hits)"
