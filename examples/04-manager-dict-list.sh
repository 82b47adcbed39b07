#!/bin/sh
# Manager().dict() and .list(): two processes fill a shared dict and list.
set -e
( dq kv set config colour blue; dq list append log "first writer done" ) &
( dq kv set config size large; dq list append log "second writer done" ) &
wait
dq kv items config
dq list len log
