#!/usr/bin/env bash
# Installs every Debian package ferry needs to build, test and benchmark, on Debian 12, as root.
# Idempotent: packages already present are skipped, so a second run does nothing.
set -euo pipefail

BUILD=(build-essential cmake ninja-build ccache pkg-config clang-format clang libclang-rt-14-dev
  libboost-dev libssl-dev libcurl4-openssl-dev libpugixml-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev libfuse3-dev fuse3 libisal-dev
  libxxhash-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libarchive-dev help2man
  dpkg-dev)
# The file servers `ferry gateway` starts to export its mount (SMB, NFS).
RUNTIME=(samba nfs-ganesha nfs-ganesha-vfs)
# Real third-party S3 clients and peers used by the integration tests and benchmarks.
TEST=(curl awscli python3-boto3 python3-torch s3cmd rclone s3fs nginx-light wrk hyperfine fio linux-perf
  procps psmisc util-linux iproute2 xxd openssl faketime chromium
  radosgw ceph-mon ceph-osd ceph-common uuid-runtime smbclient libnfs-utils)

missing=()
for p in "${BUILD[@]}" "${RUNTIME[@]}" "${TEST[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from another packager (with npm inside); only ask Debian when it is absent.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
