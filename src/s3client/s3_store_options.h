// Options of an S3Store (the ObjectStore that talks to an S3-compatible endpoint), the
// multipart part-size policy, and the translation of an AWS-style configuration into options.
// Plain structs and pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/aws_config.h"
#include "core/clock.h"
#include "core/retry.h"
#include "ferry/object_store.h"
#include "http/client.h"
#include "s3/sigv4.h"

namespace ferry {

enum class AddressingStyle {
  kAuto,           // virtual-hosted for AWS endpoints, path style for custom endpoints
  kPath,           // http://host/bucket/key
  kVirtualHosted,  // http://bucket.host/key (falls back to path style for buckets that are
                   // not DNS-compatible, e.g. with dots over TLS or upper case)
};

struct S3StoreOptions {
  // "http://127.0.0.1:9000", "https://minio.example:9000/base". Empty: AWS itself,
  // https://s3.<region>.amazonaws.com. Default: empty.
  std::string endpoint;
  // Region used in signatures and for the AWS endpoint. Default: us-east-1.
  std::string region = "us-east-1";
  // Empty access key: requests are sent unsigned (anonymous). The session token, when set,
  // is sent as x-amz-security-token.
  s3::Credentials credentials;
  AddressingStyle addressing = AddressingStyle::kAuto;
  http::ClientOptions http;
  RetryOptions retry;

  // Preferred multipart part size; ChoosePartSize raises it for objects that would need more
  // than 10,000 parts. Also the amount PutObject writers buffer before switching to a
  // multipart upload. Default: 16 MiB.
  uint64_t part_size = 16 << 20;
  // Parts of one writer uploaded at once (and the size of the store's upload thread pool);
  // memory per streaming writer is about part_size * (upload_concurrency + 1). Default: 4.
  size_t upload_concurrency = 4;
  // Objects larger than this are copied with multipart UploadPartCopy in parallel ranges of
  // copy_part_size (S3 refuses a single CopyObject above 5 GiB). Defaults: 5 GiB, 512 MiB.
  uint64_t multipart_copy_threshold = uint64_t{5} << 30;
  uint64_t copy_part_size = uint64_t{512} << 20;

  // ListObjects uses ListObjectsV2 (2) or the older ListObjects with markers (1), for
  // endpoints whose V2 paging is broken (s3rver 3.7.1 under OpenSSL 3 answers every truncated
  // V2 listing with InternalError: its continuation tokens need DES). Default: 2.
  int list_objects_version = 2;

  // Bytes OpenObject fetches with its one GET (metadata and data together): a smaller object
  // costs one request. Default: 8 MiB.
  uint64_t prefetch_bytes = 8 << 20;
  // Smaller ReadAt calls past the prefetched range fetch this much and serve the following
  // sequential reads from it. Default: 8 MiB.
  uint64_t read_window = 8 << 20;

  // Additional checksum sent with every upload and verified on answers. kNone disables
  // (uploads then verify the MD5 ETag only). Default: CRC32C.
  ChecksumAlgorithm checksum_algorithm = ChecksumAlgorithm::kCrc32c;
  // Verify whole-object reads against the full-object checksum or the single-part MD5 ETag.
  // Default: true.
  bool verify_downloads = true;
  // In-memory request bodies up to this size are signed with their SHA-256; larger ones and
  // bodies sent from files use UNSIGNED-PAYLOAD (their integrity is covered by the additional
  // checksum; use TLS against untrusted networks). Default: 1 MiB.
  uint64_t signed_payload_max = 1 << 20;

  // REQUIRES: outlives the store. Default: the system clock.
  const Clock* clock = &SystemClock();
};

// Endpoint, region, credentials and addressing style from a resolved AWS configuration
// (environment, ~/.aws files, flags); every other field keeps its default.
S3StoreOptions S3StoreOptionsFromAwsConfig(const AwsConfig& config);

inline constexpr uint64_t kMinPartSize = uint64_t{5} << 20;  // except the last part
inline constexpr uint64_t kMaxPartSize = uint64_t{5} << 30;
inline constexpr int kMaxParts = 10'000;

// The part size for an object of object_size bytes (0: unknown): preferred clamped to
// 5 MiB..5 GiB, raised (to a multiple of 1 MiB) until the object fits in 10,000 parts.
// Objects above 10,000 * 5 GiB cannot be uploaded; the result is then 5 GiB.
uint64_t ChoosePartSize(uint64_t object_size, uint64_t preferred);

}  // namespace ferry
