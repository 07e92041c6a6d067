// Makes the empty data files of the next inode numbers before they are given out. On some
// file systems allocating an inode costs a third of a millisecond or more (ext4 searching its
// bitmaps for inodes not recently freed), time that making a file in the share would
// otherwise spend with the gateway's lock held. Each file is made by open(O_CREAT) as before,
// only earlier and by this thread, so what makes it durable later is unchanged.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ferry::gateway {

class FilesAhead {
 public:
  // path_of names the data file of an inode number; `ahead` files are kept ready.
  FilesAhead(std::function<std::string(uint64_t)> path_of, uint64_t ahead);
  ~FilesAhead();  // stops the thread; files made stay for the next start
  FilesAhead(const FilesAhead&) = delete;
  FilesAhead& operator=(const FilesAhead&) = delete;

  // next_ino is the next number to be given: files up to next_ino + ahead are wanted.
  void Advance(uint64_t next_ino);

 private:
  void Run();

  const std::function<std::string(uint64_t)> path_of_;
  const uint64_t ahead_;
  std::mutex mu_;
  std::condition_variable wanted_;
  uint64_t next_ino_ = 0;  // guarded by mu_
  uint64_t made_to_ = 0;   // files exist for [.., made_to_); guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry::gateway
