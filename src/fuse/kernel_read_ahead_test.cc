#include "fuse/kernel_read_ahead.h"

#include <gtest/gtest.h>

namespace ferry::fuse {
namespace {

TEST(KernelReadAhead, TheDeviceOfTheTopmostMountAtAPath) {
  const std::string mountinfo =
      "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
      "40 22 0:39 / /tmp/a\\040b rw,nosuid,nodev shared:20 - fuse.ferry ferry rw\n"
      "41 22 0:40 / /mnt/data rw shared:21 - fuse.ferry ferry rw\n"
      "42 41 0:41 / /mnt/data rw shared:22 - fuse.ferry ferry rw\n"
      "broken line\n";
  EXPECT_EQ(DeviceOfMount(mountinfo, "/tmp/a b"), "0:39");
  EXPECT_EQ(DeviceOfMount(mountinfo, "/mnt/data"), "0:41") << "the last mount is on top";
  EXPECT_EQ(DeviceOfMount(mountinfo, "/"), "252:1");
  EXPECT_EQ(DeviceOfMount(mountinfo, "/mnt"), "");
  EXPECT_EQ(DeviceOfMount(mountinfo, "/tmp/a\\040b"), "");
}

TEST(KernelReadAhead, AMountpointNotMountedIsNotFound) {
  EXPECT_EQ(SetKernelReadAhead("/no/such/mount/point", 1 << 20).code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace ferry::fuse
