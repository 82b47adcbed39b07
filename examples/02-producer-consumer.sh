#!/bin/sh
# A producer child and a consumer child talking through a queue.
set -e
( for i in 1 2 3 4 5; do dq put numbers "$i"; done; dq put numbers STOP ) &
( total=0
  while body=$(dq get numbers --timeout 10s); do
      [ "$body" = STOP ] && break
      total=$((total + body))
  done
  echo "consumer: total $total" ) &
wait
