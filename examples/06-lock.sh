#!/bin/sh
# Lock: four processes update one plain file; dq lock makes each update whole.
set -e
file=$(mktemp)
echo 0 > "$file"
for worker in 1 2 3 4; do
    ( i=0; while [ $i -lt 10 ]; do
          dq lock counter-file -- sh -c 'n=$(cat "$1"); echo $((n + 1)) > "$1"' sh "$file"
          i=$((i + 1))
      done ) &
done
wait
echo "file says: $(cat "$file")"
rm -f "$file"
