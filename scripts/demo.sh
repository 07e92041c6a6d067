#!/usr/bin/env bash
# End-to-end demo on the embedded server: start `ferry serve` on a temporary root, create a
# bucket, upload a small generated dataset with `ferry cp`, list it, pull it back as a notebook
# would, check it byte for byte, sync a generated "on-prem" tree into the bucket with
# `ferry sync` (then only its changes), mount it with `ferry mount` where FUSE is allowed, write
# files through an SMB share of `ferry gateway` and watch them become objects, train
# a tiny PyTorch model on it with `ferry train` (Fast File mode where FUSE is allowed), archive
# the finished job's checkpoints with a lifecycle rule (a day lasts 2 s here) and restore one,
# publish a dataset that anyone reads without keys (a public-read ACL), and stop. The AWS CLI reads the same bucket to show that the
# data and its metadata are plain S3.
set -euo pipefail
FERRY=${1:-build/ferry}
FERRY=$(realpath "$FERRY")
AWS=/usr/bin/aws  # Debian's AWS CLI v2 (a pip-installed v1 may come first on PATH)

work=$(mktemp -d /tmp/ferry-demo.XXXXXX)
server_pid=""
gateway_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  mountpoint -q "$work/mnt" 2>/dev/null && fusermount3 -u "$work/mnt" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting ferry serve on $work/root"
mkdir -p "$work/cold"  # the archive tier: a directory that would be on another disk
"$FERRY" serve --root "$work/root" --listen 127.0.0.1:0 --port-file "$work/port" \
  --archive "$work/cold" --lifecycle-day 2s --restore-time expedited=1s,standard=3s \
  --events "$work/archive-events.jsonl" >"$work/serve.out" 2>"$work/serve.log" &
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

echo "== ferry mb / cp --recursive / ls"
"$FERRY" mb s3://datasets
"$FERRY" cp --recursive "$work/dataset" s3://datasets/demo/
"$FERRY" ls s3://datasets/demo/
"$FERRY" ls --recursive --human-readable --summarize s3://datasets/demo/ | tail -4
echo "== ferry stat (S3 metadata, checksum, POSIX attributes)"
"$FERRY" stat s3://datasets/demo/labels.csv
echo "== ferry cp back (as a notebook pulls a dataset) and compare"
"$FERRY" cp --recursive s3://datasets/demo/ "$work/pulled"
diff -r "$work/dataset" "$work/pulled" && echo "dataset: byte-exact after the round trip"
"$FERRY" cat s3://datasets/demo/labels.csv --range 0-41
echo "== ferry sync: the migration agent moves an on-prem tree, then only what changed"
mkdir -p "$work/onprem/projects/cats" "$work/onprem/projects/dogs" "$work/onprem/empty"
for i in $(seq -w 1 30); do head -c 2048 /dev/urandom >"$work/onprem/projects/cats/c_$i.jpg"; done
for i in $(seq -w 1 30); do head -c 2048 /dev/urandom >"$work/onprem/projects/dogs/d_$i.jpg"; done
echo "scratch" >"$work/onprem/projects/notes.tmp"
ln -s projects/cats "$work/onprem/latest"
sync_flags=(--state-dir "$work/state" --exclude "*.tmp")
"$FERRY" sync "$work/onprem" s3://datasets/onprem "${sync_flags[@]}" --report "$work/report.json"
echo "changed on-prem: one new file, one edited, one removed"
echo "new" >"$work/onprem/projects/dogs/d_new.jpg"
echo "edited" >>"$work/onprem/projects/cats/c_01.jpg"
rm "$work/onprem/projects/cats/c_02.jpg"
"$FERRY" sync "$work/onprem" s3://datasets/onprem "${sync_flags[@]}" --delete --verify transferred
"$FERRY" sync s3://datasets/onprem "$work/restored" --state-dir "$work/state" --verify all
diff -r --no-dereference "$work/onprem/projects/cats" "$work/restored/projects/cats" >/dev/null &&
  [ "$(readlink "$work/restored/latest")" = projects/cats ] && [ -d "$work/restored/empty" ] &&
  echo "on-prem tree: files, link and empty directory restored from the bucket"

train_mode=file
if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null; then
  echo "== ferry mount: the synced dataset as files, read through the block cache"
  mkdir -p "$work/mnt"
  if "$FERRY" mount s3://datasets/onprem "$work/mnt" --cache-dir "$work/cache" --cache-size 64M; then
    train_mode=fastfile
    ls "$work/mnt" "$work/mnt/projects" | head -8
    cmp "$work/mnt/projects/dogs/d_new.jpg" "$work/onprem/projects/dogs/d_new.jpg" &&
      echo "mounted files read back byte for byte; cache: $(du -sh "$work/cache" | cut -f1)"
    fusermount3 -u "$work/mnt"
  else
    echo "(this machine does not allow FUSE mounts; skipped)"
  fi
fi

if [ "$train_mode" = fastfile ] && [ -x /usr/sbin/smbd ] && command -v smbclient >/dev/null; then
  echo "== ferry gateway: a writable SMB share whose files become objects"
  mkdir -p "$work/share"
  smb_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$FERRY" gateway s3://datasets/labelled "$work/share" --foreground --cache-dir "$work/gateway" \
    --settle 1s --smb labels --smb-port "$smb_port" --events "$work/events.jsonl" \
    2>"$work/gateway.log" &
  gateway_pid=$!
  # smbd listens once the mount serves.
  for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$smb_port) 2>/dev/null && break; sleep 0.1; done
  printf 'img_01,cat\nimg_02,dog\n' >"$work/labels.csv"
  smbclient -p "$smb_port" -N //127.0.0.1/labels -c "mkdir batch1; put $work/labels.csv batch1\\labels.csv; put $work/dataset/weights.bin batch1\\weights.bin; rename batch1\\labels.csv batch1\\labels-v1.csv; ls batch1\\*" 2>/dev/null | grep -v "blocks of size"
  id=$("$FERRY" gateway notify-when-uploaded "$work/share")
  for _ in $(seq 300); do grep -q "$id" "$work/events.jsonl" 2>/dev/null && break; sleep 0.1; done
  "$FERRY" ls --recursive s3://datasets/labelled/
  echo "upload events:"
  /usr/bin/python3 -c 'import json,sys
for line in open(sys.argv[1]):
    e = json.loads(line); d = e["detail"]
    print("  %-40s %s" % (e["detail-type"], d.get("object-key", d.get("notification-id"))))' "$work/events.jsonl"
  cmp <("$FERRY" cat s3://datasets/labelled/batch1/weights.bin) "$work/dataset/weights.bin" &&
    echo "written through SMB, in the bucket byte for byte"
  kill "$gateway_pid"; wait "$gateway_pid" || true; gateway_pid=""
fi

echo "== ferry train: a tiny PyTorch model on the synced dataset ($train_mode mode)"
"$FERRY" train --job-name demo-train --ml-root "$work/ml" --cache-dir "$work/cache" \
  --input-mode "$train_mode" --channel training=s3://datasets/onprem/projects --hp epochs=2 \
  --output s3://datasets/models --checkpoint s3://datasets/checkpoints/demo-train \
  -- /usr/bin/python3 "$(dirname "$(realpath "$0")")/demo_train.py"
echo "model: $("$FERRY" ls s3://datasets/models/demo-train/output/ | grep model.tar.gz)"

echo "== archiving the finished job's checkpoints with a lifecycle rule, then restoring one"
aws s3api put-bucket-lifecycle-configuration --bucket datasets --lifecycle-configuration '{
  "Rules": [{"ID": "archive-checkpoints", "Status": "Enabled",
             "Filter": {"And": {"Prefix": "checkpoints/", "ObjectSizeGreaterThan": 0}},
             "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]}'
for _ in $(seq 100); do
  "$FERRY" ls --recursive s3://datasets/checkpoints/ | grep -q 'pt$' || break
  sleep 0.2
done
"$FERRY" ls --recursive s3://datasets/checkpoints/
for _ in $(seq 100); do [ -n "$(ls -A "$work/cold")" ] && break; sleep 0.2; done
echo "archive directory: $(find "$work/cold" -type f | wc -l) files"
if "$FERRY" cp s3://datasets/checkpoints/demo-train/epoch-1.pt "$work/epoch-1.pt" 2>"$work/cp.err"; then
  echo "unexpected: an archived checkpoint was copied before its restore"; exit 1
fi
echo "cp before the restore: $(head -c 160 "$work/cp.err")..."
"$FERRY" restore s3://datasets/checkpoints/demo-train/epoch-1.pt --tier expedited --days 3 --wait
"$FERRY" cp s3://datasets/checkpoints/demo-train/epoch-1.pt "$work/epoch-1.pt"
"$FERRY" stat s3://datasets/checkpoints/demo-train/epoch-1.pt | grep -A2 -i "class\|restore"
echo "events: $(grep -c LifecycleTransition "$work/archive-events.jsonl") transitions, $(grep -c ObjectRestore "$work/archive-events.jsonl") restore"

echo "== a public dataset: anyone reads it without keys, only its owner writes it"
aws s3api create-bucket --bucket public-data --acl public-read >/dev/null
aws s3 cp --quiet --recursive --acl public-read "$work/dataset/val" s3://public-data/val/
# No credentials at all: the bucket's ACL grants AllUsers READ.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$FERRY" ls --no-sign-request s3://public-data/val/ | head -2
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$FERRY" cp --no-sign-request --recursive s3://public-data/val/ "$work/public-copy"
diff -r "$work/dataset/val" "$work/public-copy" && echo "public dataset: read without keys, byte-exact"
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary x "$AWS_ENDPOINT_URL/public-data/val/vandalism.bin")
echo "an unsigned write: HTTP $status"
[ "$status" = 403 ]
aws s3api get-bucket-acl --bucket public-data --query 'Grants[].[Permission,Grantee.URI||Grantee.ID]' --output text

echo "== the AWS CLI sees the same objects"
aws s3 ls s3://datasets/demo/train/ >"$work/aws-ls.txt" && head -3 "$work/aws-ls.txt"
aws s3api head-object --bucket datasets --key demo/labels.csv

echo "== stopping ferry serve"
kill "$server_pid"; wait "$server_pid" || true; server_pid=""
echo "demo finished"
