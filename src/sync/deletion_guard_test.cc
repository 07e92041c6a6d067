#include "sync/deletion_guard.h"

#include <gtest/gtest.h>

namespace ferry::sync {
namespace {

TEST(DeletionGuard, AnEmptySourceEmptiesNothingUnlessAllowed) {
  DeletionLimits limits;
  std::string why = DeletionRefusal(limits, 0, 3, "s3://b/tre/", "./restore");
  EXPECT_NE(why.find("s3://b/tre/ is empty or does not exist"), std::string::npos) << why;
  EXPECT_NE(why.find("3 entries of ./restore"), std::string::npos) << why;
  limits.allow_empty_source = true;
  EXPECT_EQ(DeletionRefusal(limits, 0, 3, "s", "d"), "");
  // Nothing to delete is never refused.
  EXPECT_EQ(DeletionRefusal(DeletionLimits{}, 0, 0, "s", "d"), "");
}

TEST(DeletionGuard, MaxDeleteRefusesTheWholePhase) {
  DeletionLimits limits;
  limits.max_delete = 2;
  EXPECT_EQ(DeletionRefusal(limits, 10, 2, "s", "d"), "");
  std::string why = DeletionRefusal(limits, 10, 3, "s", "d");
  EXPECT_NE(why.find("exceeds --max-delete 2"), std::string::npos) << why;
  limits.max_delete = 0;
  EXPECT_NE(DeletionRefusal(limits, 10, 1, "s", "d").find("1 entry of d"), std::string::npos);
}

}  // namespace
}  // namespace ferry::sync
