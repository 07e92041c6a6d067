#include "core/host_memory.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ferry {
namespace {

class HostMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("ferry-sysfs-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void AddDevice(const std::string& name, const std::string& id, const std::string& features) {
    auto dir = root_ / "bus/virtio/devices" / name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "device") << id << "\n";
    std::ofstream(dir / "features") << features << "\n";
  }

  std::filesystem::path root_;
};

TEST_F(HostMemoryTest, ABalloonThatReportsFreePages) {
  AddDevice("virtio1", "0x0002", "0010001001100100000000000000000100100000");  // a disk
  AddDevice("virtio0", "0x0005", "0110010100000000000000000000000010000000");
  EXPECT_TRUE(FreeMemoryGoesBackToHost(root_.string()));
}

TEST_F(HostMemoryTest, ABalloonWithoutReportingOrNoBalloon) {
  AddDevice("virtio0", "0x0005", "0110000100000000000000000000000010000000");
  AddDevice("virtio1", "0x0002", "0010011001100100000000000000000100100000");  // bit 5 set
  EXPECT_FALSE(FreeMemoryGoesBackToHost(root_.string()));
  EXPECT_FALSE(FreeMemoryGoesBackToHost((root_ / "nothing-here").string()));
}

}  // namespace
}  // namespace ferry
