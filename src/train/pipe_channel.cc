#include "train/pipe_channel.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "store/read_full.h"
#include "train/recordio.h"
#include "train/shard.h"

namespace ferry::train {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kAheadObjects = 32;
constexpr uint64_t kAheadBytes = uint64_t{64} << 20;
constexpr uint64_t kBufferedObject = uint64_t{8} << 20;

// Inflates a gzip (or zlib) stream given in pieces.
class Gunzip {
 public:
  Gunzip() {
    std::memset(&z_, 0, sizeof z_);
    ok_ = inflateInit2(&z_, 15 + 32) == Z_OK;  // 32: detect gzip or zlib headers
  }
  ~Gunzip() { inflateEnd(&z_); }
  Gunzip(const Gunzip&) = delete;
  Gunzip& operator=(const Gunzip&) = delete;

  // Appends what in decompresses to out.
  Status Feed(std::string_view in, std::string* out, const std::string& what) {
    if (!ok_) return Status::Internal("zlib: inflateInit2 failed");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    char buf[1 << 16];
    while (z_.avail_in > 0) {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      int rc = inflate(&z_, Z_NO_FLUSH);
      out->append(buf, sizeof buf - z_.avail_out);
      if (rc == Z_STREAM_END) {
        // Concatenated gzip members (as `cat a.gz b.gz` makes) go on.
        if (z_.avail_in == 0) break;
        if (inflateReset(&z_) != Z_OK) return Status::Internal("zlib: inflateReset failed");
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Status::Corruption(what + ": not gzip data (" +
                                  std::string(z_.msg ? z_.msg : "inflate failed") + ")");
      }
      if (rc == Z_BUF_ERROR && z_.avail_out != 0) break;
    }
    return Status::OK();
  }

 private:
  z_stream z_;
  bool ok_ = false;
};

}  // namespace

PipeChannel::PipeChannel(ObjectStore& store, ChannelObjects objects, std::string fifo_base,
                         PipeOptions options)
    : store_(store),
      objects_(std::move(objects)),
      fifo_base_(std::move(fifo_base)),
      options_(options),
      fetchers_(kFetchers) {}

PipeChannel::~PipeChannel() {
  Stop();
}

Status PipeChannel::Start() {
  const std::string first = fifo_base_ + "_0";
  ::unlink(first.c_str());
  if (::mkfifo(first.c_str(), 0600) != 0) return Status::FromErrno(first, errno);
  thread_ = std::thread([this] { Run(); });
  return Status::OK();
}

void PipeChannel::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

uint64_t PipeChannel::epochs_served() {
  return epochs_;
}
uint64_t PipeChannel::bytes_served() {
  return bytes_;
}

Status PipeChannel::status() {
  std::lock_guard lock(mu_);
  return status_;
}

Result<int> PipeChannel::OpenForReader(const std::string& path) {
  // A non-blocking open for writing fails with ENXIO until a reader has the FIFO open; poll
  // so that Stop is seen.
  while (!stopping_) {
    int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      int flags = ::fcntl(fd, F_GETFL);
      ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      return fd;
    }
    if (errno != ENXIO && errno != EINTR) return Status::FromErrno(path, errno);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

Status PipeChannel::WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    // The reader closed the FIFO before the end: this epoch is over.
    if (n < 0 && errno == EPIPE) return Status::Cancelled(fifo_base_ + ": the reader left");
    if (n < 0) return Status::FromErrno("pipe " + fifo_base_, errno);
    data.remove_prefix(static_cast<size_t>(n));
    bytes_ += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Result<std::string> PipeChannel::FetchWhole(const ChannelObject& object) {
  return ReadWholeObject(store_, objects_.bucket, object.key);
}

Status PipeChannel::SendRecords(int fd, const ChannelObject& item) {
  std::string framed;
  for (const auto& r : item.records) {
    if (r.bucket.empty()) {
      FERRY_RETURN_IF_ERROR(AppendRecordIO(r.value, &framed));
      continue;
    }
    FERRY_ASSIGN_OR_RETURN(std::string body, ReadWholeObject(store_, r.bucket, r.key));
    FERRY_RETURN_IF_ERROR(AppendRecordIO(body, &framed).Annotate("s3://" + r.bucket + "/" + r.key));
  }
  return WriteAll(fd, framed);
}

Status PipeChannel::SendObject(int fd, const ChannelObject& object,
                               std::optional<std::string> fetched) {
  const std::string what = "s3://" + objects_.bucket + "/" + object.key;
  std::unique_ptr<ObjectReader> reader;
  uint64_t size = 0;
  if (fetched) {
    size = fetched->size();
  } else {
    FERRY_ASSIGN_OR_RETURN(reader, store_.OpenObject(objects_.bucket, object.key));
    size = reader->meta().size;
  }
  Gunzip gunzip;
  std::string record;  // RecordIO needs the whole (decompressed) object first
  std::vector<char> buf(fetched ? 0 : kChunk);
  std::string inflated;
  for (uint64_t offset = 0; offset < size && !stopping_;) {
    std::string_view piece;
    if (fetched) {
      piece = *fetched;
    } else {
      FERRY_ASSIGN_OR_RETURN(size_t n, reader->ReadAt(offset, std::span<char>(buf)));
      if (n == 0) return Status::Unavailable(what + ": ended early");
      piece = std::string_view(buf.data(), n);
    }
    offset += piece.size();
    if (options_.gzip) {
      inflated.clear();
      FERRY_RETURN_IF_ERROR(gunzip.Feed(piece, &inflated, what));
      piece = inflated;
    }
    if (options_.recordio) {
      record.append(piece);
    } else {
      FERRY_RETURN_IF_ERROR(WriteAll(fd, piece));
    }
  }
  if (options_.recordio) {
    std::string framed;
    FERRY_RETURN_IF_ERROR(AppendRecordIO(record, &framed).Annotate(what));
    FERRY_RETURN_IF_ERROR(WriteAll(fd, framed));
  }
  return Status::OK();
}

Status PipeChannel::ServeEpoch(int fd, uint64_t epoch) {
  std::vector<std::string> keys;
  keys.reserve(objects_.objects.size());
  std::unordered_map<std::string, const ChannelObject*> by_key;
  for (const auto& o : objects_.objects) {
    keys.push_back(o.key);
    by_key[o.key] = &o;
  }
  const std::vector<std::string> order = EpochOrder(std::move(keys), options_.shuffle_seed, epoch);
  // Small objects are fetched ahead of the writer, several at once, within a byte budget;
  // large ones (or of unknown size) stream when their turn comes.
  struct Ahead {
    const ChannelObject* object;
    std::shared_ptr<std::promise<Result<std::string>>> body;  // null: streamed
    std::future<Result<std::string>> ready;
  };
  std::deque<Ahead> ahead;
  uint64_t ahead_bytes = 0;
  size_t next = 0;
  auto fill = [&] {
    while (next < order.size() && ahead.size() < kAheadObjects && ahead_bytes < kAheadBytes) {
      const ChannelObject* o = by_key.at(order[next++]);
      Ahead a{o, nullptr, {}};
      if (o->size > 0 && o->size <= kBufferedObject) {
        a.body = std::make_shared<std::promise<Result<std::string>>>();
        a.ready = a.body->get_future();
        ahead_bytes += o->size;
        fetchers_.Submit([this, o, body = a.body] { body->set_value(FetchWhole(*o)); });
      }
      ahead.push_back(std::move(a));
    }
  };
  Status st;
  for (fill(); !ahead.empty() && !stopping_; fill()) {
    Ahead a = std::move(ahead.front());
    ahead.pop_front();
    if (!a.object->records.empty()) {
      st = SendRecords(fd, *a.object);
    } else if (a.body) {
      Result<std::string> body = a.ready.get();
      ahead_bytes -= a.object->size;
      st = body.ok() ? SendObject(fd, *a.object, std::move(body).value()) : body.status();
    } else {
      st = SendObject(fd, *a.object, std::nullopt);
    }
    if (!st.ok()) break;
  }
  for (auto& a : ahead) {
    if (a.body) a.ready.wait();  // the fetches in flight finish before their promises go
  }
  return st;
}

void PipeChannel::Run() {
  // A reader that closes early makes writes fail with EPIPE, not kill the process.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  for (uint64_t epoch = 0; !stopping_; ++epoch) {
    const std::string path = fifo_base_ + "_" + std::to_string(epoch);
    auto fd = OpenForReader(path);
    if (!fd.ok() || *fd < 0) {
      ::unlink(path.c_str());
      if (!fd.ok()) {
        std::lock_guard lock(mu_);
        status_ = fd.status();
      }
      return;
    }
    Status st = ServeEpoch(*fd, epoch);
    const bool last = !st.ok() && st.code() != Status::Code::kCancelled;
    const bool more = !last && !(options_.max_epochs && epoch + 1 >= options_.max_epochs);
    // The next epoch's FIFO exists before this one ends, so a reader that opens it as soon as
    // it sees EOF finds it.
    const std::string next = fifo_base_ + "_" + std::to_string(epoch + 1);
    if (more && ::mkfifo(next.c_str(), 0600) != 0 && errno != EEXIST) {
      st = Status::FromErrno(next, errno);
    }
    ::close(*fd);
    ::unlink(path.c_str());
    if (!st.ok() && st.code() != Status::Code::kCancelled) {
      spdlog::error("pipe {}: {}", path, st.ToString());
      std::lock_guard lock(mu_);
      if (status_.ok()) status_ = st;
      return;
    }
    if (!st.ok()) spdlog::info("pipe {}: the reader left early ({})", path, st.ToString());
    ++epochs_;
    if (!more) return;
  }
}

}  // namespace ferry::train
