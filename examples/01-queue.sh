#!/bin/sh
# Queue: put messages, get them back in order (multiprocessing.Queue).
set -e
dq put jobs "resize cat.png" "resize dog.png"
dq put jobs "urgent: rotate logo.png" --priority 5
while body=$(dq get jobs --no-wait); do echo "got: $body"; done
