#include "core/host_memory.h"

#include <filesystem>
#include <fstream>

namespace ferry {
namespace {

constexpr const char* kBalloonDevice = "0x0005";  // virtio device id of a memory balloon
constexpr size_t kReportingFeature = 5;           // VIRTIO_BALLOON_F_REPORTING

std::string FirstLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

bool FreeMemoryGoesBackToHost(const std::string& sysfs_root) {
  std::error_code ec;
  const std::filesystem::path devices = std::filesystem::path(sysfs_root) / "bus/virtio/devices";
  for (const auto& device : std::filesystem::directory_iterator(devices, ec)) {
    if (FirstLine(device.path() / "device") != kBalloonDevice) continue;
    // One character per feature bit, bit 0 first: the features the driver negotiated.
    const std::string features = FirstLine(device.path() / "features");
    if (features.size() > kReportingFeature && features[kReportingFeature] == '1') return true;
  }
  return false;
}

}  // namespace ferry
