# Makes store-v1.db with dq at schema version 1 (commit ba72426): ./make-store-v1.sh path/to/dq store-v1.db
set -e
DQ=$1; DB=$2
rm -rf "$DB" "$DB"-*
export DQ_DB="$DB"
$DQ put jobs first second
$DQ put jobs --priority 5 urgent-1 urgent-2
$DQ put jobs --key k1 keyed
printf 'bin\0ary' | $DQ put jobs
$DQ put jobs --delay 1h later
$DQ put other o1
$DQ put neg --priority=-3 low
# a leased message (lease of one hour) and a dead letter
$DQ put leaseq L1 D1
$DQ get leaseq --lease 1h --json > /tmp/fixture-lease.json
R=$($DQ get leaseq --lease 1h --json --max-attempts 1 | sed 's/.*"receipt":"\([^"]*\)".*/\1/')
$DQ nack leaseq "$R" --max-attempts 1
$DQ kv set cfg mode fast
$DQ list append todo a b
$DQ counter add hits 41
$DQ event set ready
$DQ stats --json
# Then, so the fixture does not change with the day the tests run: the delayed
# message falls due and the lease ends on 2100-01-01.
#   sqlite3 "$DB" "UPDATE delayed SET available_at = 4102444800000000;
#                  UPDATE lane_5 SET lease_until = 4102444800000000 WHERE receipt IS NOT NULL;
#                  PRAGMA wal_checkpoint(TRUNCATE); VACUUM;"
