#include "core/aws_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ferry {
namespace {

class AwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() /
            ("ferry-awscfg-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(home_ / ".aws");
    std::ofstream(home_ / ".aws" / "credentials") << "[default]\n"
                                                     "aws_access_key_id = FILEKEY\n"
                                                     "aws_secret_access_key = filesecret\n"
                                                     "[dev]\n"
                                                     "aws_access_key_id=DEVKEY\n"
                                                     "aws_secret_access_key=devsecret\n";
    std::ofstream(home_ / ".aws" / "config") << "[default]\n"
                                                "region = eu-west-1\n"
                                                "[profile dev]\n"
                                                "region = ap-south-1\n"
                                                "s3 =\n"
                                                "  endpoint_url = http://127.0.0.1:9000\n"
                                                "  addressing_style = path\n"
                                                "[profile cfgonly]\n"
                                                "aws_access_key_id = CFGKEY\n"
                                                "aws_secret_access_key = cfgsecret\n";
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  AwsConfigInputs Inputs() {
    AwsConfigInputs in;
    in.home = home_.string();
    return in;
  }

  std::filesystem::path home_;
};

TEST_F(AwsConfigTest, DefaultProfileFromFiles) {
  auto cfg = ResolveAwsConfig(Inputs());
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->access_key_id, "FILEKEY");
  EXPECT_EQ(cfg->region, "eu-west-1");
  EXPECT_EQ(cfg->endpoint_url, "");
  EXPECT_EQ(cfg->addressing_style, "auto");
}

TEST_F(AwsConfigTest, EnvironmentBeatsFilesButNotProfileFlag) {
  auto in = Inputs();
  in.env = {{"AWS_ACCESS_KEY_ID", "ENVKEY"},
            {"AWS_SECRET_ACCESS_KEY", "envsecret"},
            {"AWS_REGION", "us-west-2"},
            {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"}};
  auto cfg = ResolveAwsConfig(in);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->access_key_id, "ENVKEY");
  EXPECT_EQ(cfg->region, "us-west-2");
  EXPECT_EQ(cfg->endpoint_url, "http://127.0.0.1:1");
  in.profile_flag = "dev";
  cfg = ResolveAwsConfig(in);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->access_key_id, "DEVKEY");
  EXPECT_EQ(cfg->region, "us-west-2");  // the environment's region still applies
}

TEST_F(AwsConfigTest, ProfileSubsectionAndFlags) {
  auto in = Inputs();
  in.env = {{"AWS_PROFILE", "dev"}};
  auto cfg = ResolveAwsConfig(in);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->region, "ap-south-1");
  EXPECT_EQ(cfg->endpoint_url, "http://127.0.0.1:9000");
  EXPECT_EQ(cfg->addressing_style, "path");
  in.region_flag = "us-east-2";
  in.endpoint_flag = "http://127.0.0.1:2";
  cfg = ResolveAwsConfig(in);
  EXPECT_EQ(cfg->region, "us-east-2");
  EXPECT_EQ(cfg->endpoint_url, "http://127.0.0.1:2");
}

TEST_F(AwsConfigTest, CredentialsInConfigFileAndMissingProfile) {
  auto in = Inputs();
  in.profile_flag = "cfgonly";
  auto cfg = ResolveAwsConfig(in);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->access_key_id, "CFGKEY");
  EXPECT_EQ(cfg->region, "us-east-1");
  in.profile_flag = "nope";
  EXPECT_TRUE(ResolveAwsConfig(in).status().IsNotFound());
}

TEST(AwsIni, CommentsAndBlankLines) {
  auto ini = ParseAwsIni("# c\n[a]\n; c\nk = v = w\n\n[b]\nx=1\r\n");
  EXPECT_EQ(ini["a"]["k"], "v = w");
  EXPECT_EQ(ini["b"]["x"], "1");
}

}  // namespace
}  // namespace ferry
