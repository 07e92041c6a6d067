// The multipart-upload requests an S3 client sends (Create, Complete, Abort, ListParts,
// ListMultipartUploads, UploadPartCopy), each retried through the transport's policy.
//
// Complete handles S3's two traps: an answer of 200 whose body is an <Error> (retried when
// the code is transient, e.g. InternalError), and a retry after a lost answer that finds the
// upload already completed (NoSuchUpload): the object is then looked up and accepted when
// its ETag is the multipart ETag of exactly these parts. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"
#include "s3/xml_response.h"
#include "s3client/s3_transport.h"

namespace ferry {

// Returns the upload id. Sends x-amz-checksum-algorithm when checksum_algorithm is set.
Result<std::string> CreateUpload(S3Transport& transport, const CreateMultipartRequest& req);

Result<s3::CompleteMultipartResult> CompleteUpload(S3Transport& transport,
                                                   const CompleteMultipartRequest& req,
                                                   ChecksumAlgorithm part_checksums);

Status AbortUpload(S3Transport& transport, std::string_view bucket, std::string_view key,
                   std::string_view upload_id);

Result<ListPartsResult> ListUploadParts(S3Transport& transport, const ListPartsRequest& req);
Result<ListUploadsResult> ListUploads(S3Transport& transport, const ListUploadsRequest& req);

struct CopyPartRequest {
  std::string src_bucket;
  std::string src_key;
  std::string src_etag;  // x-amz-copy-source-if-match: the source must not change meanwhile
  uint64_t first = 0;    // x-amz-copy-source-range: bytes=first-last
  uint64_t last = 0;
  std::string bucket;
  std::string key;
  std::string upload_id;
  int part_number = 0;
};
Result<s3::CopyResult> UploadPartCopy(S3Transport& transport, const CopyPartRequest& req);

// The x-amz-copy-source value: "/bucket/key" with the key percent-encoded (S3 decodes it).
std::string CopySourceHeader(std::string_view bucket, std::string_view key);

// The ETag S3 gives a multipart object: hex MD5 of the parts' binary MD5s, "-N". Empty when
// a part ETag is not a plain MD5.
std::string MultipartEtag(const std::vector<CompletedPart>& parts);

// The composite checksum of parts whose checksums (base64) are given: base64 of the digest of
// their concatenated raw digests. Empty when a part has none.
std::string CompositeChecksum(ChecksumAlgorithm algorithm, const std::vector<CompletedPart>& parts);

}  // namespace ferry
