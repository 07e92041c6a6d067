// Helpers for LocalStore tests: a temporary directory removed at the end, and one-call put
// and read helpers. Test-only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "ferry/object_store.h"
#include "localstore/local_store.h"

namespace ferry::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Options for fast tests: no fsync, 5 MiB multipart minimum kept unless changed.
LocalStoreOptions FastOptions();

// A LocalStore over a TempDir with one bucket "bkt".
struct StoreFixture {
  explicit StoreFixture(LocalStoreOptions options = FastOptions());
  void Reopen();
  TempDir dir;
  LocalStoreOptions options;
  std::unique_ptr<LocalStore> store;
};

Result<ObjectMeta> Put(ObjectStore& store, std::string_view bucket, std::string_view key,
                       std::string_view body, PutObjectRequest req = {});
Result<std::string> ReadAll(ObjectStore& store, std::string_view bucket, std::string_view key);
// Reads a whole reader through ReadAt in chunks of chunk bytes.
Result<std::string> ReadAllFrom(ObjectReader& reader, size_t chunk = 7919);
// Files under bucket_dir/blobs that the bucket index does not reference, and referenced
// blobs missing from disk, as "stray <id>" / "missing <id>" lines. Empty when consistent.
std::vector<std::string> BlobInconsistencies(const std::string& bucket_dir);
// Number of files under bucket_dir/blobs (blobs and packs).
size_t CountBlobFiles(const std::string& bucket_dir);

// Deterministic pseudo-random bytes.
std::string Bytes(size_t n, uint64_t seed);
std::string Md5Hex(std::string_view data);
// A local file's bytes (empty when it cannot be read).
std::string ReadFile(const std::string& path);

}  // namespace ferry::testing
