#include "gateway/exports.h"

#include <gtest/gtest.h>

#include "testing/store_test_util.h"

namespace ferry::gateway {
namespace {

TEST(Exports, ShareNamesSmbdTakesAsTheyAre) {
  for (const char* ok : {"data", "team-data", "a.b_c", "X9"}) {
    EXPECT_TRUE(CheckShareName(ok).ok()) << ok;
  }
  for (const char* bad :
       {"", "two words", "semi;colon", "[global]", "a/b", "a\\b", "%S", "new\nline"}) {
    EXPECT_EQ(CheckShareName(bad).code(), Status::Code::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(CheckShareName(std::string(81, 'a')).ok());
}

TEST(Exports, AMissingServerNamesItsDebianPackage) {
  testing::TempDir dir;
  SmbExportOptions smb;
  smb.share = "data";
  smb.path = dir.path();
  smb.state_dir = dir.path() + "/smbd";
  smb.smbd = dir.path() + "/no-smbd";
  auto started = ExportServer::StartSmb(smb);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.status().message().find("samba"), std::string::npos)
      << started.status().ToString();
  NfsExportOptions nfs;
  nfs.path = dir.path();
  nfs.state_dir = dir.path() + "/ganesha";
  nfs.ganesha = dir.path() + "/no-ganesha";
  auto nfs_started = ExportServer::StartNfs(nfs);
  ASSERT_FALSE(nfs_started.ok());
  EXPECT_NE(nfs_started.status().message().find("nfs-ganesha"), std::string::npos);
  nfs.ganesha = "/bin/true";
  nfs.fsal_dirs = {dir.path()};
  nfs_started = ExportServer::StartNfs(nfs);
  ASSERT_FALSE(nfs_started.ok());
  EXPECT_NE(nfs_started.status().message().find("nfs-ganesha-vfs"), std::string::npos);
}

}  // namespace
}  // namespace ferry::gateway
