# Makes store-v2.db with dq at schema version 2 (commit 443b864): ./make-store-v2.sh path/to/dq store-v2.db
set -e
DQ=$1; DB=$2
rm -rf "$DB" "$DB"-*
export DQ_DB="$DB"
$DQ put jobs ready-1 ready-2
# two dead letters: one nacked on its last attempt, one whose last lease ran out
$DQ put poison P1 P2
R=$($DQ get poison --lease 1h --json --max-attempts 1 | sed 's/.*"receipt":"\([^"]*\)".*/\1/')
$DQ nack poison "$R" --max-attempts 1
$DQ get poison --lease 1ms --json --max-attempts 1 > /dev/null
sleep 0.1
$DQ get poison --lease 1h --json --max-attempts 1 --no-wait || true
$DQ dead poison --json
# Then: sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;"
