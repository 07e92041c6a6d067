// Sending the parts of multipart uploads, shared by the uploads of changed files
// (gateway_upload.cc) and by streaming (gateway_stream.cc).
#include <condition_variable>
#include <mutex>

#include "gateway/gateway.h"

namespace ferry::gateway {

Result<CompletedPart> Gateway::SendFilePart(const std::string& key, const std::string& upload_id,
                                            int fd, int number, uint64_t begin, uint64_t end,
                                            bool crc32c) {
  UploadPartRequest req;
  req.bucket = options_.bucket;
  req.key = key;
  req.upload_id = upload_id;
  req.part_number = number;
  req.size = end - begin;
  if (crc32c) req.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, ""};
  FERRY_ASSIGN_OR_RETURN(auto writer, store_.UploadPart(req));
  FERRY_RETURN_IF_ERROR(writer->AppendFile(fd, begin, end - begin));
  FERRY_ASSIGN_OR_RETURN(ObjectMeta done, writer->Commit());
  return CompletedPart{number, done.etag, done.checksum ? done.checksum->value : ""};
}

Result<std::vector<std::string>> Gateway::SendParts(
    size_t count, const std::function<Result<std::string>(size_t)>& send) {
  // Parts go in parallel (the store is thread-safe); every task ends before this returns.
  std::vector<Result<std::string>> etags(count, Status::Cancelled("not sent"));
  std::mutex done_mu;
  std::condition_variable done_cv;
  size_t done = 0;
  for (size_t i = 0; i < count; ++i) {
    part_pool_->Submit([&, i] {
      Result<std::string> etag = send(i);
      std::lock_guard lock(done_mu);
      etags[i] = std::move(etag);
      ++done;
      done_cv.notify_all();
    });
  }
  {
    std::unique_lock lock(done_mu);
    done_cv.wait(lock, [&] { return done == count; });
  }
  std::vector<std::string> out;
  out.reserve(count);
  for (auto& etag : etags) {
    FERRY_RETURN_IF_ERROR(etag.status());
    out.push_back(std::move(etag).value());
  }
  return out;
}

}  // namespace ferry::gateway
