// ObjectStore: the one interface every part of ferry uses to read and write objects.
//
// Backends: LocalStore (src/localstore: a directory on this machine, what `ferry serve` stores
// into), S3Store (src/s3client: any S3 endpoint), and for tests MemoryStore and FaultyStore
// (src/testing). tests/store_contract_test.cc holds them to one meaning of every call.
// Requests are structs, never positional strings. Every method is thread-safe; one store may
// be used from many threads at once.
//
// Failed results carry an S3 error code and HTTP status (Status::s3_code/http_status) so a
// server can answer with them unchanged: NoSuchBucket, NoSuchKey, NoSuchUpload, BadDigest,
// InvalidPart, InvalidPartOrder, EntityTooSmall, BucketNotEmpty, BucketAlreadyOwnedByYou,
// PreconditionFailed, InvalidBucketName, KeyTooLongError, ...
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"
#include "ferry/status.h"

namespace ferry {

enum class ChecksumAlgorithm { kNone, kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// An S3 additional checksum: base64 of the big-endian digest, as on the wire.
struct ObjectChecksum {
  ChecksumAlgorithm algorithm = ChecksumAlgorithm::kNone;
  std::string value;       // base64; for a COMPOSITE multipart checksum without the "-N"
  bool composite = false;  // checksum of part checksums (x-amz-checksum-type: COMPOSITE)
  int parts = 0;           // for composite checksums, the part count
};

// Headers stored with an object and returned on GET/HEAD.
struct ObjectHeaders {
  std::string content_type;  // empty: the server answers binary/octet-stream
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;
  // User metadata: names lower-case without the "x-amz-meta-" prefix.
  std::map<std::string, std::string> user_metadata;
  std::string storage_class;  // empty means STANDARD
  // Object tags, in the order given.
  std::vector<std::pair<std::string, std::string>> tags;
  // Object Lock of this version: retention (mode GOVERNANCE or COMPLIANCE, empty for none,
  // until lock_until_ns) and legal hold (absent: never set).
  std::string lock_mode;
  int64_t lock_until_ns = 0;
  std::optional<bool> legal_hold;
  // An archived version's restore (GLACIER, DEEP_ARCHIVE): requested when restore_ready_ns
  // is set; the restored copy is readable from then until restore_expiry_ns.
  int64_t restore_ready_ns = 0;
  int64_t restore_expiry_ns = 0;
  std::string restore_tier;  // Expedited, Standard or Bulk
  // An INTELLIGENT_TIERING version's archive access tier (ARCHIVE_ACCESS or
  // DEEP_ARCHIVE_ACCESS; empty while it is in a tier read at once), and when it was last read
  // (0: not since it was written), which decides when it goes there.
  std::string archive_access_tier;
  int64_t last_access_ns = 0;
  // Who besides the bucket's owner may read the version or its ACL (s3/acl.h's stored form;
  // empty: nobody). Never copied with the version's data: each write sets its own.
  std::string acl;
};

struct ObjectMeta {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes: hex MD5, or hex MD5-of-MD5s + "-N" for multipart
  int64_t last_modified_ns = 0;
  ObjectHeaders headers;
  std::optional<ObjectChecksum> checksum;
  int parts_count = 0;  // > 0 for objects assembled by multipart upload
  // For multipart objects, the size of each part in order (GetObject/HeadObject partNumber).
  std::vector<uint64_t> part_sizes;
  // The version: empty in a bucket that never had versioning, "null" for the version written
  // while it had none or had it suspended, else the id the store gave it.
  std::string version_id;
  // Set by the version-aware calls when the version named (or the latest) is a delete marker:
  // then only key, version_id and last_modified_ns mean anything.
  bool delete_marker = false;
};

enum class VersioningStatus { kUnversioned, kEnabled, kSuspended };

// One entry of ListObjectVersions: an object version or a delete marker (meta.delete_marker).
struct ObjectVersion {
  ObjectMeta meta;
  bool is_latest = false;
};

struct ListVersionsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string key_marker;         // exclusive: starts after this key, or, with
  std::string version_id_marker;  // a version id, after that version of it
  int max_keys = 1000;            // versions + delete markers + common prefixes
};

struct ListVersionsPage {
  // By key, then newest first within a key.
  std::vector<ObjectVersion> versions;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;         // when truncated
  std::string next_version_id_marker;  // when truncated on a version
};

// A restore of an archived version (S3 RestoreObject).
struct RestoreObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;         // empty: the latest
  int days = 1;                   // how long the restored copy stays
  std::string tier = "Standard";  // Expedited, Standard or Bulk
};

// Options of a delete.
struct DeleteOptions {
  // x-amz-bypass-governance-retention: a version under GOVERNANCE retention may go.
  bool bypass_governance = false;
  // Deletes only while the version (with no version id, the latest) has this ETag, else
  // PreconditionFailed: a background rule deletes what it examined, never a newer write.
  std::string if_match_etag;
};

// What deleting did: the version removed or the delete marker made (its id and whether it is
// a delete marker). Both empty for a plain delete in an unversioned bucket.
struct DeleteOutcome {
  std::string version_id;
  bool delete_marker = false;
};

struct BucketInfo {
  std::string name;
  int64_t created_ns = 0;
};

struct ListObjectsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;    // empty: no grouping
  std::string start_after;  // exclusive; keys and common prefixes <= this are skipped
  int max_keys = 1000;      // keys + common prefixes returned at most
  // Ask for the restore state of archived objects too (x-amz-optional-object-attributes:
  // RestoreStatus), filling their restore fields; servers without it ignore the ask.
  bool restore_status = false;
};

struct ListObjectsPage {
  std::vector<ObjectMeta> objects;  // key, size, etag, last_modified, storage class
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string last;  // the last key or common prefix returned: start_after for the next page
};

// An open, immutable version of an object. Reads see exactly this version even if the key is
// overwritten or deleted meanwhile. ReadAt may be called from several threads at once (a
// download reads the ranges of one large object in parallel).
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual const ObjectMeta& meta() const = 0;
  // Reads up to out.size() bytes at offset; returns the count, 0 at or past the end.
  virtual Result<size_t> ReadAt(uint64_t offset, std::span<char> out) = 0;

  // Shown the bytes of a read as they arrive: (object offset, bytes), in order, each once.
  using ArrivalObserver = std::function<void(uint64_t, std::string_view)>;
  // ReadAt that shows the bytes to observer while they are still in the CPU's caches, so that
  // a caller checksumming what it reads needs no second pass over memory. By default the
  // whole range is shown once read.
  virtual Result<size_t> ReadAtObserved(uint64_t offset, std::span<char> out,
                                        const ArrivalObserver& observer) {
    Result<size_t> n = ReadAt(offset, out);
    if (n.ok() && *n > 0) observer(offset, std::string_view(out.data(), *n));
    return n;
  }

  // A piece of the body for zero-copy sending: either bytes in memory or a file range.
  struct Extent {
    std::string_view bytes;  // set when the data is in memory (valid while the reader lives)
    int fd = -1;             // else an open file owned by the reader
    uint64_t file_offset = 0;
    uint64_t length = 0;
  };
  // Extents covering [offset, offset + length) in order; empty when the backend has none
  // (callers then use ReadAt).
  virtual std::vector<Extent> Extents(uint64_t offset, uint64_t length) {
    (void)offset;
    (void)length;
    return {};
  }
};

struct PutObjectRequest {
  std::string bucket;
  std::string key;
  ObjectHeaders headers;
  std::optional<uint64_t> size;            // when known in advance
  std::string content_md5;                 // base64 Content-MD5 to verify, empty: none
  std::optional<ObjectChecksum> checksum;  // expected value, or algorithm only (value empty)
                                           // to have it computed and stored
  bool if_none_match_star = false;         // fail with PreconditionFailed if the key exists
  std::string if_match_etag;               // fail unless the current ETag matches (no quotes)
};

// Receives an object's body; the object becomes visible atomically on Commit. Destroying a
// writer without a successful Commit discards everything it received.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Append(std::span<const char> data) = 0;
  // Appends [offset, offset + length) of an open file. Backends that can send straight from
  // the file (a remote store) override this; the default reads it into Append.
  virtual Status AppendFile(int fd, uint64_t offset, uint64_t length);
  // Sets or replaces the expected checksum value (e.g. from an aws-chunked trailer).
  virtual void SetExpectedChecksum(const ObjectChecksum& checksum) = 0;
  // Verifies digests (BadDigest on mismatch, IncompleteBody when size was given and not met),
  // makes the object durable and visible, and returns its metadata.
  virtual Result<ObjectMeta> Commit() = 0;
};

struct CopyObjectRequest {
  std::string src_bucket;
  std::string src_key;
  std::string dst_bucket;
  std::string dst_key;
  bool replace_metadata = false;  // x-amz-metadata-directive: REPLACE
  ObjectHeaders headers;          // used when replace_metadata; storage_class always applies
                                  // when non-empty
  std::optional<ChecksumAlgorithm> checksum_algorithm;  // compute and store this checksum
  // Conditions on the source (x-amz-copy-source-if-*), checked against the opened version.
  std::string if_match;
  std::string if_none_match;
  std::optional<int64_t> if_modified_since_s;
  std::optional<int64_t> if_unmodified_since_s;
  std::string src_version_id;  // the source's version; empty: the latest
  // x-amz-tagging-directive REPLACE: tags from headers.tags, else the source's. Object Lock
  // is never copied: headers' lock fields apply.
  bool replace_tags = false;
};

struct MultipartUploadInfo {
  std::string key;
  std::string upload_id;
  int64_t initiated_ns = 0;
  std::string storage_class;
};

struct CreateMultipartRequest {
  std::string bucket;
  std::string key;
  ObjectHeaders headers;
  ChecksumAlgorithm checksum_algorithm = ChecksumAlgorithm::kNone;
};

struct UploadPartRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  int part_number = 0;  // 1..10000
  std::optional<uint64_t> size;
  std::string content_md5;
  std::optional<ObjectChecksum> checksum;
};

// A part copied from a byte range of an existing object (UploadPartCopy).
struct UploadPartCopyRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  int part_number = 0;
  std::string src_bucket;
  std::string src_key;
  std::string src_etag;  // the source must still have this ETag (x-amz-copy-source-if-match)
  uint64_t first = 0;    // the range [first, last] of the source, inclusive
  uint64_t last = 0;
};

struct PartInfo {
  int part_number = 0;
  std::string etag;  // no quotes
  uint64_t size = 0;
  int64_t last_modified_ns = 0;
  std::optional<ObjectChecksum> checksum;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;      // quotes allowed and ignored
  std::string checksum;  // base64 value the client lists, empty if none
};

struct CompleteMultipartRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::vector<CompletedPart> parts;
  // Conditions on the object the upload replaces: failing is PreconditionFailed, and
  // ConditionalRequestConflict when that object was written after the upload began.
  bool if_none_match_star = false;
  std::string if_match_etag;
};

struct ListPartsRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  int part_number_marker = 0;
  int max_parts = 1000;
};

struct ListPartsResult {
  MultipartUploadInfo upload;
  ChecksumAlgorithm checksum_algorithm = ChecksumAlgorithm::kNone;
  std::vector<PartInfo> parts;
  bool truncated = false;
  int next_part_number_marker = 0;
};

struct ListUploadsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string upload_id_marker;
  int max_uploads = 1000;
};

struct ListUploadsResult {
  std::vector<MultipartUploadInfo> uploads;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

// What a caller already knows about an object it opens (from a listing, say); a store may use it
// to save a request or to check more cheaply. Wrong hints cost time, never correctness.
struct OpenHints {
  std::optional<uint64_t> size;
  // With size, names the version to read: a store may then open without a request, every
  // read pinned to this ETag (PreconditionFailed once the object changed), and meta() holding
  // only key, size and ETag; each read is one ranged GET of exactly its bytes. For readers of
  // known versions that read in their own units, such as a mount's block fetches.
  std::string etag;
};

// What a store says of itself, for logs, state keys and summaries.
struct StoreInfo {
  // Names where the objects are: an endpoint URL, "aws:REGION", "local" (a directory on this
  // machine) or "memory".
  std::string endpoint_id = "local";
  uint64_t requests = 0;  // sent so far (remote stores)
  uint64_t retries = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual StoreInfo Info() const { return {}; }

  virtual Result<std::vector<BucketInfo>> ListBuckets() = 0;
  virtual Status CreateBucket(std::string_view bucket) = 0;
  virtual Status DeleteBucket(std::string_view bucket) = 0;  // BucketNotEmpty if not empty
  virtual Result<BucketInfo> HeadBucket(std::string_view bucket) = 0;

  virtual Result<ListObjectsPage> ListObjects(const ListObjectsRequest& req) = 0;
  // NoSuchKey, or NoSuchBucket when the bucket is missing (a remote store may say NoSuchKey
  // then: a HEAD's 404 has no body).
  virtual Result<ObjectMeta> HeadObject(std::string_view bucket, std::string_view key) = 0;
  virtual Result<std::unique_ptr<ObjectReader>> OpenObject(std::string_view bucket,
                                                           std::string_view key,
                                                           const OpenHints& hints = {}) = 0;
  virtual Result<std::unique_ptr<ObjectWriter>> PutObject(const PutObjectRequest& req) = 0;
  virtual Result<ObjectMeta> CopyObject(const CopyObjectRequest& req) = 0;
  // Deleting a missing key succeeds, as in S3. In a versioned bucket it adds a delete marker.
  virtual Status DeleteObject(std::string_view bucket, std::string_view key) = 0;
  // Deletes up to 1000 keys; one status per key, in order. The default loops DeleteObject;
  // a remote store sends one DeleteObjects request.
  virtual Result<std::vector<Status>> DeleteObjects(std::string_view bucket,
                                                    const std::vector<std::string>& keys);

  virtual Result<MultipartUploadInfo> CreateMultipartUpload(const CreateMultipartRequest& req) = 0;
  virtual Result<std::unique_ptr<ObjectWriter>> UploadPart(const UploadPartRequest& req) = 0;
  // The ObjectMeta returned by a part writer's Commit carries the part's etag, size and
  // checksum.
  virtual Result<ObjectMeta> CompleteMultipartUpload(const CompleteMultipartRequest& req) = 0;
  // Makes part part_number of the upload from a range of another object: PreconditionFailed
  // when the source no longer has src_etag. Returns the part's number, ETag and size. The
  // default reads the range and writes it as a part; a remote store copies server-side.
  virtual Result<PartInfo> UploadPartCopy(const UploadPartCopyRequest& req);
  virtual Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id) = 0;
  virtual Result<ListPartsResult> ListParts(const ListPartsRequest& req) = 0;
  virtual Result<ListUploadsResult> ListMultipartUploads(const ListUploadsRequest& req) = 0;

  // ---- Versions (S3 bucket versioning). Defaults: a store without versions, where every
  // object is its key's one version and version ids other than "null" name nothing.
  virtual Status SetBucketVersioning(std::string_view bucket, VersioningStatus status);
  virtual Result<VersioningStatus> GetBucketVersioning(std::string_view bucket);
  virtual Result<ListVersionsPage> ListObjectVersions(const ListVersionsRequest& req);
  // The version version_id of key, or with an empty version_id the latest. A delete marker is
  // returned with meta.delete_marker set (NoSuchKey when the key never existed, NoSuchVersion
  // for an unknown version, InvalidArgument for an id this store could not have given).
  virtual Result<ObjectMeta> HeadObjectVersion(std::string_view bucket, std::string_view key,
                                               std::string_view version_id);
  // Opens a version for reading: NoSuchKey when the latest is a delete marker, MethodNotAllowed
  // when version_id names one. Hints describe that version.
  virtual Result<std::unique_ptr<ObjectReader>> OpenObjectVersion(std::string_view bucket,
                                                                  std::string_view key,
                                                                  std::string_view version_id,
                                                                  const OpenHints& hints = {});
  // With an empty version_id as DeleteObject; else removes that version for good (a missing
  // version succeeds, as in S3). A version under retention or legal hold is AccessDenied.
  virtual Result<DeleteOutcome> DeleteObjectVersion(std::string_view bucket, std::string_view key,
                                                    std::string_view version_id,
                                                    const DeleteOptions& options = {});

  // Changes what is kept with one version (tags, retention, legal hold) without writing its
  // data or making a new version: edit runs on the stored headers, atomically with the update,
  // and may refuse it. MethodNotAllowed for a delete marker; PreconditionFailed when
  // if_match_etag is given and the version has another ETag. Returns the updated metadata.
  using HeadersEdit = std::function<Status(ObjectHeaders&)>;
  virtual Result<ObjectMeta> EditObjectVersion(std::string_view bucket, std::string_view key,
                                               std::string_view version_id, const HeadersEdit& edit,
                                               std::string_view if_match_etag = {});

  // Asks for a restore of an archived version. Returns S3's answer: 202 when a restore
  // started, 200 when the version is restored already (its Days were renewed); errors
  // RestoreAlreadyInProgress (409) and InvalidObjectState (403, not archived). Default: a
  // store without an archive tier (NotImplemented).
  virtual Result<int> RestoreObject(const RestoreObjectRequest& req);

  // Bucket configurations the server keeps (tagging, object lock, ...) as documents the store
  // does not read; nullopt removes one. Defaults: a store that keeps none.
  virtual Status SetBucketConfig(std::string_view bucket, std::string_view name,
                                 const std::optional<std::string>& document);
  virtual Result<std::optional<std::string>> GetBucketConfig(std::string_view bucket,
                                                             std::string_view name);
};

}  // namespace ferry
