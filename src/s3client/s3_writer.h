// The ObjectWriters of S3Store.
//
// Object writer (PutObject): Append()ed bytes are buffered in memory up to the part size. If
// Commit comes first, the object goes with one PutObject; otherwise the writer switches to a
// multipart upload and sends each part as soon as it fills, up to upload_concurrency parts at
// once on the store's thread pool (Append waits when that many are in flight, so memory stays
// bounded). AppendFile ranges are never copied: a part (or the single PUT) that lies within
// one file range is sent straight from the descriptor. Every request carries the additional
// checksum and is verified (see s3_upload.h). Commit checks the declared size (IncompleteBody),
// a caller's expected checksum or Content-MD5 over the whole body (BadDigest), completes the
// upload and checks the composite checksum the server reports. A writer destroyed without a
// successful Commit aborts its multipart upload.
//
// Part writer (UploadPart): buffers its body (or keeps its one file range) and sends it with
// one verified UploadPart on Commit.
//
// REQUIRES: descriptors passed to AppendFile stay open, and their ranges unchanged, until
// Commit returns. Writers are thread-compatible; they must be destroyed before the store.
#pragma once

#include <memory>

#include "core/thread_pool.h"
#include "ferry/object_store.h"
#include "s3client/s3_transport.h"

namespace ferry {

std::unique_ptr<ObjectWriter> NewS3ObjectWriter(S3Transport& transport, ThreadPool& pool,
                                                const PutObjectRequest& req);
std::unique_ptr<ObjectWriter> NewS3PartWriter(S3Transport& transport, const UploadPartRequest& req);

}  // namespace ferry
