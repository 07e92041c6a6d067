#include "sync/entry_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

namespace ferry::sync {
namespace {

Entry Named(int i) {
  Entry e;
  e.name = "f" + std::to_string(100000 + i);
  e.size = static_cast<uint64_t>(i);
  return e;
}

TEST(EntryStreamTest, DeliversEveryEntryInOrderWhateverTheCapacity) {
  for (size_t capacity : {1, 2, 7, 4096}) {
    for (int count : {0, 1, 255, 256, 257, 10000}) {
      EntryStream stream(
          [count](const EntryStream::Emit& emit) {
            for (int i = 0; i < count; ++i) FERRY_RETURN_IF_ERROR(emit(Named(i)));
            return Status::OK();
          },
          capacity);
      int seen = 0;
      while (auto e = stream.Next()) {
        ASSERT_EQ(e->name, Named(seen).name) << "capacity " << capacity;
        ASSERT_EQ(e->size, static_cast<uint64_t>(seen));
        ++seen;
      }
      EXPECT_EQ(seen, count) << "capacity " << capacity;
      EXPECT_TRUE(stream.status().ok());
    }
  }
}

TEST(EntryStreamTest, AFailedWalkDeliversWhatItEmittedThenItsError) {
  EntryStream stream([](const EntryStream::Emit& emit) {
    for (int i = 0; i < 10; ++i) FERRY_RETURN_IF_ERROR(emit(Named(i)));
    return Status::IOError("disk gone");
  });
  int seen = 0;
  while (stream.Next()) ++seen;
  EXPECT_EQ(seen, 10);
  EXPECT_EQ(stream.status().code(), Status::Code::kIOError);
}

TEST(EntryStreamTest, DestroyingTheStreamStopsAWalkThatWouldNeverEnd) {
  std::atomic<bool> stopped = false;
  {
    EntryStream stream(
        [&](const EntryStream::Emit& emit) {
          for (int i = 0;; ++i) {
            Status st = emit(Named(i));
            if (!st.ok()) {
              stopped = true;
              return st;
            }
          }
        },
        64);
    ASSERT_TRUE(stream.Next().has_value());
  }
  EXPECT_TRUE(stopped);
}

}  // namespace
}  // namespace ferry::sync
