// Progress of a transfer: thread-safe counters the workers bump, and a printer that shows
// them on a terminal (bytes, objects, rate, ETA) while the transfer runs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace ferry::transfer {

struct ProgressSnapshot {
  uint64_t objects_planned = 0;
  uint64_t objects_done = 0;
  uint64_t objects_failed = 0;
  uint64_t objects_skipped = 0;
  uint64_t bytes_planned = 0;
  uint64_t bytes_done = 0;
  double elapsed_seconds = 0;
  bool planning_done = false;
  const char* phase = nullptr;  // "preparing", "verifying"...; null: not shown
};

class Progress {
 public:
  Progress() : start_(std::chrono::steady_clock::now()) {}

  void Plan(uint64_t objects, uint64_t bytes) {
    objects_planned_ += objects;
    bytes_planned_ += bytes;
  }
  void PlanningDone() { planning_done_ = true; }
  // Names what a multi-phase operation (sync) is doing; phase must be a string literal.
  void SetPhase(const char* phase) { phase_ = phase; }
  void Bytes(uint64_t n) { bytes_done_ += n; }
  void ObjectDone() { ++objects_done_; }
  void ObjectFailed() { ++objects_failed_; }
  void ObjectSkipped() { ++objects_skipped_; }

  ProgressSnapshot Snapshot() const;

 private:
  const std::chrono::steady_clock::time_point start_;
  std::atomic<uint64_t> objects_planned_{0}, objects_done_{0}, objects_failed_{0},
      objects_skipped_{0}, bytes_planned_{0}, bytes_done_{0};
  std::atomic<bool> planning_done_{false};
  std::atomic<const char*> phase_{nullptr};
};

// "1.5 GiB", "12.0 KiB", "17 B".
std::string FormatBytes(uint64_t bytes);
// "1m05s", "3.2s".
std::string FormatDuration(double seconds);
// One status line: "1.2 GiB / 4.0 GiB, 120/400 objects, 310 MiB/s, ETA 9s".
std::string FormatProgressLine(const ProgressSnapshot& s);

// Redraws the progress line on `out` every interval while alive; erases it when destroyed.
// Does nothing when disabled (not a terminal and not asked for).
class ProgressPrinter {
 public:
  ProgressPrinter(const Progress& progress, bool enabled, std::FILE* out = stderr);
  ~ProgressPrinter();
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

 private:
  void Loop();
  const Progress& progress_;
  std::FILE* out_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry::transfer
