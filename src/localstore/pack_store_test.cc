#include "localstore/pack_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "testing/store_test_util.h"

namespace ferry::local {
namespace {

// A pack the index has just recorded (with no live bytes) but that no body has reached yet
// must not look retired: the maintainer drops retired packs without live bytes.
TEST(PackStoreTest, APackBeingRegisteredIsNotRetired) {
  testing::TempDir dir;
  UniqueFd root(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(BlobStore::Init(root.get()).ok());
  auto blobs = BlobStore::Open(root.get(), /*fsync=*/false);
  ASSERT_TRUE(blobs.ok()) << blobs.status().ToString();
  PackStore* store = nullptr;
  int registered = 0;
  bool retired_while_registering = true;
  PackStore packs(blobs->get(), 1 << 20,
                  {.register_pack =
                       [&](const BlobId& id) {
                         ++registered;
                         retired_while_registering = store->Retired(id);
                         return Status::OK();
                       },
                   .wake_maintenance = [] {}});
  store = &packs;
  auto slot = packs.Reserve(100);
  ASSERT_TRUE(slot.ok()) << slot.status().ToString();
  EXPECT_EQ(registered, 1);
  EXPECT_FALSE(retired_while_registering);
  const BlobId id = (*slot)->pack().id();
  EXPECT_FALSE(packs.Retired(id));  // active
  // A pack whose registration failed is gone, file and all.
  PackStore failing(blobs->get(), 1 << 20,
                    {.register_pack = [](const BlobId&) { return Status::IOError("disk full"); },
                     .wake_maintenance = [] {}});
  EXPECT_FALSE(failing.Reserve(100).ok());
  EXPECT_EQ(testing::CountBlobFiles(dir.path()), 1u);
}

}  // namespace
}  // namespace ferry::local
