#include "testing/store_test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/checksum.h"
#include "localstore/bucket_index.h"
#include "localstore/fs_util.h"
#include "sqlite/db.h"

namespace ferry::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/ferry_store_test.XXXXXX";
  const char* p = ::mkdtemp(tmpl);
  EXPECT_NE(p, nullptr);
  path_ = p ? p : "/tmp/ferry_store_test.failed";
}

TempDir::~TempDir() {
  (void)local::RemoveTree(AT_FDCWD, path_);
}

LocalStoreOptions FastOptions() {
  LocalStoreOptions o;
  o.fsync = false;
  return o;
}

StoreFixture::StoreFixture(LocalStoreOptions opts) : options(opts) {
  Reopen();
  EXPECT_TRUE(store->CreateBucket("bkt").ok());
}

void StoreFixture::Reopen() {
  store.reset();
  auto s = LocalStore::Open(dir.path() + "/root", SystemClock(), options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (s.ok()) store = std::move(s).value();
}

Result<ObjectMeta> Put(ObjectStore& store, std::string_view bucket, std::string_view key,
                       std::string_view body, PutObjectRequest req) {
  req.bucket = bucket;
  req.key = key;
  FERRY_ASSIGN_OR_RETURN(auto writer, store.PutObject(req));
  // Uneven chunks, to cross buffer boundaries.
  size_t off = 0, step = 1000;
  while (off < body.size()) {
    size_t n = std::min(step, body.size() - off);
    FERRY_RETURN_IF_ERROR(writer->Append(std::span<const char>(body.data() + off, n)));
    off += n;
    step = step * 3 + 17;
  }
  return writer->Commit();
}

Result<std::string> ReadAllFrom(ObjectReader& reader, size_t chunk) {
  std::string out;
  std::string buf(chunk, '\0');
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(size_t n, reader.ReadAt(out.size(), buf));
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

Result<std::string> ReadAll(ObjectStore& store, std::string_view bucket, std::string_view key) {
  FERRY_ASSIGN_OR_RETURN(auto reader, store.OpenObject(bucket, key));
  return ReadAllFrom(*reader);
}

std::vector<std::string> BlobInconsistencies(const std::string& bucket_dir) {
  std::vector<std::string> out;
  auto db = sqlite::Db::Open(bucket_dir + "/index.db", /*create=*/false);
  if (!db.ok()) return {"cannot open index: " + db.status().ToString()};
  auto refs = local::index::ReferencedBlobs(**db);
  if (!refs.ok()) return {"cannot read index: " + refs.status().ToString()};
  std::set<std::string> referenced;
  for (const auto& id : *refs) referenced.insert(id.Hex());
  std::set<std::string> on_disk;
  for (const auto& e : std::filesystem::recursive_directory_iterator(bucket_dir + "/blobs")) {
    if (e.is_regular_file()) on_disk.insert(e.path().filename());
  }
  for (const auto& f : on_disk) {
    if (!referenced.contains(f)) out.push_back("stray " + f);
  }
  for (const auto& r : referenced) {
    if (!on_disk.contains(r)) out.push_back("missing " + r);
  }
  return out;
}

size_t CountBlobFiles(const std::string& bucket_dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(bucket_dir + "/blobs")) {
    n += e.is_regular_file();
  }
  return n;
}

std::string Bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

std::string Md5Hex(std::string_view data) {
  return HexEncode(Digest(DigestKind::kMd5, data));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace ferry::testing
