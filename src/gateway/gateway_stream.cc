// Streaming: a large file's full parts go to the bucket while the file is still being
// written, so that a sequential writer's data is mostly there when it closes the file.
//
// The object's metadata (its mtime above all) is known only once the file is closed, but a
// multipart upload takes its metadata when it begins. So the parts go to an upload of a
// staging key under PREFIX.ferry-staging/; once the file has settled, that upload is
// completed and the object is made from it with the final metadata by UploadPartCopy of
// whole parts (which ferry serve does with hard links, and other servers without the bytes
// crossing the network), conditional as any upload; then the staging object goes. A part
// changed after it was sent is sent again. The staging key and upload are recorded in the
// node: after a crash they are removed and the file goes up from the cache as usual.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "gateway/gateway.h"

namespace ferry::gateway {
namespace {

constexpr int kMaxParts = 10000;

}  // namespace

void Gateway::StreamChanged(Entry& e, uint64_t begin, uint64_t end) {
  Node& n = e.node;
  if (e.stream && end > begin) {
    Stream& st = *e.stream;
    const uint64_t p = st.part_size;
    // Every part the change touched, up to the last one sent or being sent.
    const uint64_t last_known = std::max(st.sent.empty() ? 0 : st.sent.rbegin()->first,
                                         st.sending.empty() ? 0 : *st.sending.rbegin());
    for (uint64_t i = begin / p; i < last_known && i * p < end; ++i) {
      const int number = static_cast<int>(i + 1);
      st.sent.erase(number);
      if (st.sending.count(number)) st.stale.insert(number);
    }
  }
  if (e.open_writers == 0 || n.size < options_.multipart_threshold || stopping_) return;
  uint64_t first_part = begin;
  if (!e.stream) {
    auto st = std::make_shared<Stream>();
    st->ino = n.ino;
    st->staging_key =
        options_.prefix + kStagingDir + "/" + std::to_string(n.ino) + "-" + std::to_string(Now());
    st->part_size = options_.part_size;
    e.stream = std::move(st);
    first_part = 0;  // what was written before counts too
  }
  Stream& st = *e.stream;
  if (st.dead) return;
  const uint64_t p = st.part_size;
  for (uint64_t i = first_part / p; (i + 1) * p <= n.size && i * p < end; ++i) {
    const int number = static_cast<int>(i + 1);
    if (number > kMaxParts) {
      st.dead = true;  // the file outgrew the part size: it goes up as usual
      return;
    }
    if (st.sent.count(number) || st.sending.count(number)) continue;
    if (!n.dirty.Contains(i * p, (i + 1) * p)) continue;
    st.sending.insert(number);
    part_pool_->Submit([this, ino = n.ino, stream = e.stream, number, b = i * p, p] {
      SendStreamPart(ino, stream, number, b, b + p);
    });
  }
}

Result<std::string> Gateway::StreamUploadId(uint64_t ino, Stream& stream) {
  std::lock_guard create(stream.create_mu);
  if (!stream.upload_id.empty()) return stream.upload_id;
  if (stream.dropped || stream.staged) return Status::Cancelled("the stream was dropped");
  CreateMultipartRequest req;
  req.bucket = options_.bucket;
  req.key = stream.staging_key;
  // CRC32C, as `ferry cp` sends: the parts are checked without hashing them with MD5.
  req.checksum_algorithm = ChecksumAlgorithm::kCrc32c;
  FERRY_ASSIGN_OR_RETURN(MultipartUploadInfo info, store_.CreateMultipartUpload(req));
  stream.upload_id = info.upload_id;
  std::lock_guard lock(mu_);
  if (Entry* e = Find(ino)) {
    e->node.staging_key = stream.staging_key;
    e->node.staging_upload_id = info.upload_id;
    StateDb::Batch batch;
    Save(*e, batch);
    Status saved = CommitLocked(batch, false);
    if (!saved.ok()) spdlog::warn("gateway: {}", saved.ToString());
  }
  return stream.upload_id;
}

void Gateway::SendStreamPart(uint64_t ino, const std::shared_ptr<Stream>& stream, int number,
                             uint64_t begin, uint64_t end) {
  auto send = [&]() -> Result<CompletedPart> {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || stream->dead) return Status::Cancelled("not needed any more");
    }
    FERRY_ASSIGN_OR_RETURN(std::string upload_id, StreamUploadId(ino, *stream));
    const std::string path = DataPath(ino);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(path, errno);
    // The part's pages start for the disk now, so that the fdatasync of close() finds little
    // left to write.
    (void)::sync_file_range(fd, static_cast<off_t>(begin), static_cast<off_t>(end - begin),
                            SYNC_FILE_RANGE_WRITE);
    auto sent = SendFilePart(stream->staging_key, upload_id, fd, number, begin, end,
                             /*crc32c=*/true);
    ::close(fd);
    return sent;
  };
  Result<CompletedPart> part = send();
  std::lock_guard lock(mu_);
  stream->sending.erase(number);
  const bool stale = stream->stale.erase(number) > 0;
  if (part.ok() && !stale && !stream->dead) {
    stream->sent[number] = *part;
  } else if (!part.ok()) {
    spdlog::debug("gateway: early part {} of inode {}: {}", number, ino, part.status().ToString());
  }
  changed_.notify_all();
}

Result<bool> Gateway::FinishStream(const Snapshot& s, const std::string& key, bool conditional,
                                   uint64_t part_size, ObjectMeta* uploaded) {
  std::shared_ptr<Stream> st;
  std::map<int, CompletedPart> sent;
  {
    std::unique_lock lock(mu_);
    st = TakeStream(lock, s.ino);
    if (!st) return false;
    // Only a file whose every byte is new is made from its stream alone.
    if (st->dead || st->part_size != part_size || st->sent.empty() ||
        !s.dirty.Contains(0, s.size)) {
      st->dead = true;
      lock.unlock();
      DropStream(std::move(st));
      return false;
    }
    sent = st->sent;
  }
  const size_t count = static_cast<size_t>((s.size + part_size - 1) / part_size);
  const std::string if_match = conditional ? s.etag : "";
  const bool if_none_match = conditional && s.etag.empty();
  auto made = [&]() -> Result<ObjectMeta> {
    FERRY_ASSIGN_OR_RETURN(std::string staging_id, StreamUploadId(s.ino, *st));
    // The parts not sent yet (the last one, those changed after they went) go now.
    const std::string path = DataPath(s.ino);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(path, errno);
    std::vector<CompletedPart> staged(count);
    std::vector<size_t> missing;
    for (size_t i = 0; i < count; ++i) {
      if (auto it = sent.find(static_cast<int>(i + 1)); it != sent.end()) {
        staged[i] = it->second;
      } else {
        missing.push_back(i);
      }
    }
    auto resent = SendParts(missing.size(), [&](size_t m) -> Result<std::string> {
      const size_t i = missing[m];
      const uint64_t begin = i * part_size, end = std::min(s.size, begin + part_size);
      FERRY_ASSIGN_OR_RETURN(
          staged[i], SendFilePart(st->staging_key, staging_id, fd, static_cast<int>(i + 1), begin,
                                  end, /*crc32c=*/true));
      return staged[i].etag;
    });
    ::close(fd);
    FERRY_RETURN_IF_ERROR(resent.status());
    CompleteMultipartRequest complete;
    complete.bucket = options_.bucket;
    complete.key = st->staging_key;
    complete.upload_id = staging_id;
    complete.parts = std::move(staged);
    FERRY_ASSIGN_OR_RETURN(ObjectMeta staging, store_.CompleteMultipartUpload(complete));
    {
      std::lock_guard create(st->create_mu);
      st->upload_id.clear();  // completed: only the object is left to remove
      st->staged = true;
    }
    // The object, with the file's metadata, from whole parts of the staging object.
    CreateMultipartRequest create;
    create.bucket = options_.bucket;
    create.key = key;
    create.headers = s.headers;
    FERRY_ASSIGN_OR_RETURN(MultipartUploadInfo upload, store_.CreateMultipartUpload(create));
    auto copied = SendParts(count, [&](size_t i) -> Result<std::string> {
      UploadPartCopyRequest copy;
      copy.bucket = options_.bucket;
      copy.key = key;
      copy.upload_id = upload.upload_id;
      copy.part_number = static_cast<int>(i + 1);
      copy.src_bucket = options_.bucket;
      copy.src_key = st->staging_key;
      copy.src_etag = staging.etag;
      copy.first = i * part_size;
      copy.last = std::min(s.size, (i + 1) * part_size) - 1;
      FERRY_ASSIGN_OR_RETURN(PartInfo info, store_.UploadPartCopy(copy));
      return info.etag;
    });
    Result<ObjectMeta> done = Status::Cancelled("no parts");
    if (!copied.ok()) {
      done = copied.status();
    } else {
      CompleteMultipartRequest final_complete;
      final_complete.bucket = options_.bucket;
      final_complete.key = key;
      final_complete.upload_id = upload.upload_id;
      for (size_t i = 0; i < count; ++i) {
        final_complete.parts.push_back({static_cast<int>(i + 1), (*copied)[i], ""});
      }
      final_complete.if_match_etag = if_match;
      final_complete.if_none_match_star = if_none_match;
      done = store_.CompleteMultipartUpload(final_complete);
    }
    if (!done.ok()) (void)store_.AbortMultipartUpload(options_.bucket, key, upload.upload_id);
    return done;
  }();
  DropStream(st);  // the staging object (or upload) goes either way
  FERRY_RETURN_IF_ERROR(made.status());
  *uploaded = std::move(made).value();
  uploaded->size = s.size;
  return true;
}

std::shared_ptr<Gateway::Stream> Gateway::TakeStream(std::unique_lock<std::mutex>& lock,
                                                     uint64_t ino) {
  Entry* e = Find(ino);
  if (!e || !e->stream) return nullptr;
  std::shared_ptr<Stream> st = std::move(e->stream);
  changed_.wait(lock, [&] { return st->sending.empty(); });
  return st;
}

void Gateway::DropStream(std::shared_ptr<Stream> stream) {
  part_pool_->Submit([this, stream = std::move(stream)] {
    std::string upload_id;
    bool staged = false;
    {
      std::lock_guard create(stream->create_mu);
      stream->dropped = true;
      upload_id = std::move(stream->upload_id);
      stream->upload_id.clear();
      staged = stream->staged;
    }
    if (!upload_id.empty()) {
      (void)store_.AbortMultipartUpload(options_.bucket, stream->staging_key, upload_id);
    }
    if (staged) (void)store_.DeleteObject(options_.bucket, stream->staging_key);
    std::lock_guard lock(mu_);
    Entry* e = Find(stream->ino);
    if (!e || e->node.staging_key != stream->staging_key) return;  // gone, or a newer stream
    e->node.staging_key.clear();
    e->node.staging_upload_id.clear();
    StateDb::Batch batch;
    Save(*e, batch);
    Status saved = CommitLocked(batch, false);
    if (!saved.ok()) spdlog::warn("gateway: {}", saved.ToString());
  });
}

}  // namespace ferry::gateway
