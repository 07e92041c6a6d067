#include "transfer/progress.h"

#include <cmath>

namespace ferry::transfer {

ProgressSnapshot Progress::Snapshot() const {
  ProgressSnapshot s;
  s.objects_planned = objects_planned_;
  s.objects_done = objects_done_;
  s.objects_failed = objects_failed_;
  s.objects_skipped = objects_skipped_;
  s.bytes_planned = bytes_planned_;
  s.bytes_done = bytes_done_;
  s.planning_done = planning_done_;
  s.phase = phase_;
  s.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s;
}

std::string FormatBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

std::string FormatDuration(double seconds) {
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(seconds) / 60,
                  static_cast<int>(seconds) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(seconds) / 3600,
                  static_cast<int>(seconds) % 3600 / 60);
  }
  return buf;
}

std::string FormatProgressLine(const ProgressSnapshot& s) {
  double rate = s.elapsed_seconds > 0 ? static_cast<double>(s.bytes_done) / s.elapsed_seconds : 0;
  std::string line = s.phase ? std::string(s.phase) + ": " : std::string();
  line += FormatBytes(s.bytes_done);
  if (s.planning_done) line += " / " + FormatBytes(s.bytes_planned);
  line += ", " + std::to_string(s.objects_done) + "/" + std::to_string(s.objects_planned) +
          (s.planning_done ? "" : "+") + " objects";
  if (s.objects_failed) line += ", " + std::to_string(s.objects_failed) + " failed";
  line += ", " + FormatBytes(static_cast<uint64_t>(rate)) + "/s";
  if (s.planning_done && rate > 0 && s.bytes_planned > s.bytes_done) {
    line += ", ETA " + FormatDuration(static_cast<double>(s.bytes_planned - s.bytes_done) / rate);
  }
  return line;
}

ProgressPrinter::ProgressPrinter(const Progress& progress, bool enabled, std::FILE* out)
    : progress_(progress), out_(out) {
  if (enabled) thread_ = std::thread([this] { Loop(); });
}

ProgressPrinter::~ProgressPrinter() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::fputs("\r\033[K", out_);  // erase the progress line; the summary follows
  std::fflush(out_);
}

void ProgressPrinter::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; })) {
    std::string line = FormatProgressLine(progress_.Snapshot());
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    std::fflush(out_);
  }
}

}  // namespace ferry::transfer
