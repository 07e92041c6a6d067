#include "train/recordio.h"

#include <gtest/gtest.h>

namespace ferry::train {
namespace {

std::string Magic() {
  return std::string("\x0a\x23\xd7\xce", 4);  // kRecordIOMagic, little-endian
}

TEST(RecordIO, FramesAndPads) {
  std::string out;
  ASSERT_TRUE(AppendRecordIO("hello", &out).ok());
  ASSERT_EQ(out.size(), 8u + 8u);  // header, 5 bytes padded to 8
  EXPECT_EQ(out.substr(0, 4), Magic());
  EXPECT_EQ(out.substr(4, 4), std::string("\x05\x00\x00\x00", 4));
  EXPECT_EQ(out.substr(8, 5), "hello");
  EXPECT_EQ(out.substr(13), std::string(3, '\0'));
  ASSERT_TRUE(AppendRecordIO("", &out).ok());
  auto records = ParseRecordIO(out);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(*records, (std::vector<std::string>{"hello", ""}));
}

TEST(RecordIO, DataHoldingTheMagicIsSplitAsDmlcDoes) {
  // The magic at aligned offsets 4 and 12: three parts (flags 1, 2, 3), magic left out.
  const std::string data = "abcd" + Magic() + "efgh" + Magic() + "tail!";
  std::string out;
  ASSERT_TRUE(AppendRecordIO(data, &out).ok());
  EXPECT_EQ(out.substr(4, 4), std::string("\x04\x00\x00\x20", 4)) << "flag 1, 4 bytes";
  EXPECT_EQ(out.substr(8, 4), "abcd");
  EXPECT_EQ(out.substr(16, 4), std::string("\x04\x00\x00\x40", 4)) << "flag 2, 4 bytes";
  EXPECT_EQ(out.substr(28, 4), std::string("\x05\x00\x00\x60", 4)) << "flag 3, 5 bytes";
  EXPECT_EQ(out.size() % 4, 0u);
  auto records = ParseRecordIO(out);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0], data);
  // An unaligned magic is data like any other.
  const std::string unaligned = "ab" + Magic() + "cd";
  out.clear();
  ASSERT_TRUE(AppendRecordIO(unaligned, &out).ok());
  EXPECT_EQ(out.size(), 8u + 8u);
  EXPECT_EQ(ParseRecordIO(out)->at(0), unaligned);
}

TEST(RecordIO, RejectsBrokenInput) {
  EXPECT_FALSE(ParseRecordIO("garbage!").ok());
  std::string out;
  ASSERT_TRUE(AppendRecordIO("0123456789", &out).ok());
  EXPECT_FALSE(ParseRecordIO(std::string_view(out).substr(0, 12)).ok());
}

}  // namespace
}  // namespace ferry::train
