#!/usr/bin/env bash
# Runs every benchmark under bench/ against the given ferry binary (`make bench`).
# Each benchmark prints its numbers and ratios and updates its own section of bench/RESULTS.md.
set -euo pipefail
FERRY=${1:?usage: bench/run.sh path/to/ferry}
HERE=$(cd "$(dirname "$0")" && pwd)
# MD5 engines (the server's ETags): prints only.
"$(dirname "$FERRY")/bench/md5_lanes_bench"
# Debian's python3 has python3-boto3; a python3 earlier on PATH may not.
/usr/bin/python3 "$HERE/server_bench.py" "$FERRY"
/usr/bin/python3 "$HERE/versioning_bench.py" "$FERRY"
/usr/bin/python3 "$HERE/transfer_bench.py" "$FERRY"
/usr/bin/python3 "$HERE/sync_bench.py" "$FERRY"
/usr/bin/python3 "$HERE/mount_bench.py" "$FERRY"
/usr/bin/python3 "$HERE/train_bench.py" "$FERRY"
/usr/bin/python3 "$HERE/gateway_bench.py" "$FERRY"
/usr/bin/python3 "$HERE/archive_bench.py" "$FERRY"
