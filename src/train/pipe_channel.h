// Pipe mode for one channel: the job reads FIFOs input/data/<channel>_<epoch>. Each FIFO,
// once opened, streams the channel's objects in key order (or in the epoch's shuffled order),
// gunzipped when the objects are gzip files, each wrapped as one RecordIO record when asked;
// when the reader has drained it (EOF) and closed it, the FIFO goes and the next epoch's
// appears. Small objects are fetched several at a time ahead of the writer. Owns its threads;
// Stop (or the destructor) ends them even while no reader comes.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/thread_pool.h"
#include "ferry/object_store.h"
#include "train/channel_objects.h"

namespace ferry::train {

struct PipeOptions {
  bool gzip = false;
  bool recordio = false;
  std::optional<uint64_t> shuffle_seed;
  uint64_t max_epochs = 0;  // 0: a new epoch whenever the last one was drained
};

class PipeChannel {
 public:
  // fifo_base: the channel's path without the epoch suffix (input/data/<channel>).
  PipeChannel(ObjectStore& store, ChannelObjects objects, std::string fifo_base,
              PipeOptions options);
  ~PipeChannel();
  PipeChannel(const PipeChannel&) = delete;
  PipeChannel& operator=(const PipeChannel&) = delete;

  // Makes the first epoch's FIFO (so it exists before the job starts) and starts serving.
  Status Start();
  void Stop();

  uint64_t epochs_served();
  uint64_t bytes_served();
  Status status();  // the first failure, OK if none

 private:
  void Run();
  // Waits until a reader opens path; -1 once stopping.
  Result<int> OpenForReader(const std::string& path);
  Status ServeEpoch(int fd, uint64_t epoch);
  Result<std::string> FetchWhole(const ChannelObject& object);
  // An augmented manifest line: each attribute one RecordIO record.
  Status SendRecords(int fd, const ChannelObject& item);
  // The object's bytes as the reader gets them (gunzipped, framed), written to fd; from
  // fetched when it was read ahead, else read from the store now.
  Status SendObject(int fd, const ChannelObject& object, std::optional<std::string> fetched);
  Status WriteAll(int fd, std::string_view data);

  ObjectStore& store_;
  const ChannelObjects objects_;
  const std::string fifo_base_;
  const PipeOptions options_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> epochs_{0};
  std::atomic<uint64_t> bytes_{0};
  std::mutex mu_;
  Status status_;  // guarded by mu_
  static constexpr size_t kFetchers = 8;
  ThreadPool fetchers_;  // reads small objects ahead of the writer
  std::thread thread_;   // started by Start; joined (Stop) before the pool goes
};

}  // namespace ferry::train
