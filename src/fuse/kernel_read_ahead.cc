#include "fuse/kernel_read_ahead.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ferry::fuse {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string digits = field.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(digits, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

}  // namespace

std::string DeviceOfMount(const std::string& mountinfo, const std::string& mountpoint) {
  std::istringstream in(mountinfo);
  std::string device;
  for (std::string line; std::getline(in, line);) {
    // id parent-id MAJOR:MINOR root mount-point options ...
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    if (!(fields >> id >> parent >> dev >> root >> point)) continue;
    if (Unescape(point) == mountpoint) device = dev;  // the last one is on top
  }
  return device;
}

Status SetKernelReadAhead(const std::string& mountpoint, uint64_t bytes) {
  std::ifstream info("/proc/self/mountinfo");
  std::stringstream text;
  text << info.rdbuf();
  const std::string device = DeviceOfMount(text.str(), mountpoint);
  if (device.empty()) return Status::NotFound(mountpoint + ": not in /proc/self/mountinfo");
  const std::string path = "/sys/class/bdi/" + device + "/read_ahead_kb";
  std::ofstream out(path);
  if (out) out << bytes / 1024 << "\n";
  out.close();
  if (!out) {
    const int err = errno;
    std::string what = path + ": " + std::strerror(err);
    return err == EACCES || err == EPERM || err == EROFS ? Status::PermissionDenied(what)
                                                         : Status::IOError(what);
  }
  return Status::OK();
}

}  // namespace ferry::fuse
