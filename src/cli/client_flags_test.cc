#include "cli/client_flags.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

TEST(ParseSize, UnitsArePowersOf1024) {
  EXPECT_EQ(*ParseSize("1000"), 1000u);
  EXPECT_EQ(*ParseSize("64k"), 65536u);
  EXPECT_EQ(*ParseSize("100M"), 100u << 20);
  EXPECT_EQ(*ParseSize("1.5G"), 3u << 29);
  EXPECT_EQ(*ParseSize("16MiB"), 16u << 20);
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("10X").ok());
  EXPECT_FALSE(ParseSize("abc").ok());
}

}  // namespace
}  // namespace ferry::cli
