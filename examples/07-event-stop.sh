#!/bin/sh
# Event: a worker loop runs until the parent sets "stop", then finishes cleanly.
set -e
dq put tasks a b c
( while ! dq event is-set stop; do
      if dq get tasks --timeout 200ms >/dev/null; then dq counter add done >/dev/null; fi
  done
  echo "worker: stopped, $(dq len tasks) tasks left" ) &
dq counter wait done 3 --timeout 30s >/dev/null   # a barrier: all three handled
dq event set stop
wait
