#include "core/md5_lanes.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "core/checksum.h"
#include "core/md5_batcher.h"

namespace ferry {
namespace {

std::vector<Md5Engine> EnginesHere() {
  std::vector<Md5Engine> engines = {Md5Engine::kScalar};
  Md5Engine best = BestMd5Engine();
  if (best == Md5Engine::kAvx2 || best == Md5Engine::kAvx512) engines.push_back(Md5Engine::kAvx2);
  if (best == Md5Engine::kAvx512) engines.push_back(Md5Engine::kAvx512);
  return engines;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string LanesDigest(const std::string& message, Md5State state, size_t hashed_blocks) {
  auto tail = reinterpret_cast<const unsigned char*>(message.data()) + hashed_blocks * 64;
  return Md5Finish(state, {tail, message.size() - hashed_blocks * 64}, message.size());
}

// Every engine agrees with OpenSSL on messages of random lengths (0 to a few KiB, block
// boundaries included), any number of lanes of unequal length at once.
TEST(Md5Lanes, EveryEngineMatchesOpenSsl) {
  std::mt19937_64 rng(42);
  for (Md5Engine engine : EnginesHere()) {
    for (int round = 0; round < 60; ++round) {
      const size_t count = 1 + rng() % 40;
      std::vector<std::string> messages;
      for (size_t i = 0; i < count; ++i) {
        size_t len = rng() % 4 == 0 ? 64 * (rng() % 8) + (rng() % 3) * 55 : rng() % 5000;
        messages.push_back(RandomBytes(rng, len));
      }
      std::vector<Md5State> states(count);
      std::vector<Md5Lane> lanes;
      for (size_t i = 0; i < count; ++i) {
        lanes.push_back({&states[i], reinterpret_cast<const unsigned char*>(messages[i].data()),
                         messages[i].size() / 64});
      }
      Md5Blocks(lanes, engine);
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(HexEncode(LanesDigest(messages[i], states[i], messages[i].size() / 64)),
                  HexEncode(Digest(DigestKind::kMd5, messages[i])))
            << "engine " << static_cast<int>(engine) << " length " << messages[i].size();
      }
    }
  }
}

TEST(Md5Lanes, KnownDigests) {
  // RFC 1321's test suite.
  const std::pair<std::string, std::string> cases[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"}};
  for (const auto& [message, hex] : cases) {
    Md5Batcher batcher;
    auto hasher = batcher.NewHasher();
    hasher->Update(std::string_view(message));
    EXPECT_EQ(HexEncode(hasher->Finish()), hex);
  }
}

// Many threads hashing through one batcher, with updates of every size and alignment, get
// OpenSSL's digests.
TEST(Md5Batcher, ConcurrentStreamsMatchOpenSsl) {
  for (Md5Engine engine : EnginesHere()) {
    Md5Batcher batcher(engine);
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 12; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(t);
        for (int body = 0; body < 30; ++body) {
          std::string message = RandomBytes(rng, rng() % (300 * 1024));
          auto hasher = batcher.NewHasher();
          for (size_t at = 0; at < message.size();) {
            size_t n = std::min<size_t>(message.size() - at, 1 + rng() % (100 * 1024));
            hasher->Update(std::string_view(message).substr(at, n));
            at += n;
          }
          if (hasher->Finish() != Digest(DigestKind::kMd5, message)) ++mismatches;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0) << "engine " << static_cast<int>(engine);
  }
}

}  // namespace
}  // namespace ferry
