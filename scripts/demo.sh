#!/usr/bin/env bash
# End-to-end demo on the embedded server: start `ferry serve` on a temporary root, create a
# bucket, upload a small generated dataset with the AWS CLI, list it, read a file back, stop.
set -euo pipefail
FERRY=${1:-build/ferry}
FERRY=$(realpath "$FERRY")
AWS=/usr/bin/aws  # Debian's AWS CLI v2 (a pip-installed v1 may come first on PATH)

work=$(mktemp -d /tmp/ferry-demo.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting ferry serve on $work/root"
"$FERRY" serve --root "$work/root" --listen 127.0.0.1:0 --port-file "$work/port" \
  >"$work/serve.out" 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { cat "$work/serve.log"; exit 1; }
grep '^export' "$work/serve.out"
eval "$(grep '^export' "$work/serve.out")"
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
aws() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }

echo "== generating a small dataset (images, labels, a manifest)"
mkdir -p "$work/dataset/train" "$work/dataset/val"
for i in $(seq -w 1 20); do head -c $((4096 + 10#$i * 512)) /dev/urandom >"$work/dataset/train/img_$i.bin"; done
for i in $(seq -w 1 5); do head -c 8192 /dev/urandom >"$work/dataset/val/img_$i.bin"; done
seq 1 25 | awk '{print "img_" $1 ",label_" ($1 % 3)}' >"$work/dataset/labels.csv"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$work/dataset/weights.bin"  # multipart upload

echo "== aws s3 mb / sync / ls"
aws s3 mb s3://datasets
aws s3 sync --only-show-errors "$work/dataset" s3://datasets/demo/
aws s3 ls --recursive --human-readable --summarize s3://datasets/demo/
echo "== aws s3 cp back and compare"
aws s3 cp --only-show-errors s3://datasets/demo/weights.bin "$work/weights.back"
cmp "$work/dataset/weights.bin" "$work/weights.back" && echo "weights.bin: byte-exact"
aws s3 cp s3://datasets/demo/labels.csv - | head -3

echo "== stopping ferry serve"
kill "$server_pid"; wait "$server_pid" || true; server_pid=""
echo "demo finished"
