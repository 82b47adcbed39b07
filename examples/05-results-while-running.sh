#!/bin/sh
# Reading results while the child still runs: the child reports progress as it goes.
set -e
( for step in 1 2 3; do dq put progress "step $step of 3"; done; dq put progress done ) &
while msg=$(dq get progress --timeout 10s); do
    [ "$msg" = done ] && break
    echo "parent saw: $msg"
done
wait
