// Whether this machine is a VM that hands its free memory back to the host (a virtio balloon
// with free page reporting, as Firecracker and Cloud Hypervisor guests have). There, memory
// that stayed free for a moment is no longer backed, and the first write to each page of it
// costs a fault in the host: filling a gigabyte of fresh page cache took 2-4 times as long as
// refilling memory just freed. Data paths that would otherwise stream through fresh memory
// recycle a window of it instead.
#pragma once

#include <string>

namespace ferry {

// Reads the virtio devices under sysfs_root (tests pass a fake tree).
bool FreeMemoryGoesBackToHost(const std::string& sysfs_root = "/sys");

}  // namespace ferry
