// MD5 throughput: OpenSSL against each md5_lanes engine with 1 to 16 messages at once.
// Prints GB/s of message bytes hashed per core. Usage: md5_lanes_bench [message KiB, 64]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/checksum.h"
#include "core/md5_lanes.h"

namespace {

using ferry::Md5Engine;

template <typename F>
double GigabytesPerSecond(double bytes_per_call, F&& call) {
  auto start = std::chrono::steady_clock::now();
  int calls = 0;
  double seconds = 0;
  do {
    call();
    ++calls;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (seconds < 0.5);
  return calls * bytes_per_call / seconds / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t kib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
  const size_t len = kib * 1024;
  std::vector<std::string> messages(16, std::string(len, 'x'));
  for (size_t i = 0; i < messages.size(); ++i) messages[i][0] = static_cast<char>(i);
  std::printf("MD5 of %zu KiB messages, one core\n", kib);
  std::printf("%-8s %6s %8s\n", "engine", "lanes", "GB/s");
  std::printf("%-8s %6d %8.2f\n", "openssl", 1, GigabytesPerSecond(len, [&] {
                (void)ferry::Digest(ferry::DigestKind::kMd5, messages[0]);
              }));
  const std::pair<Md5Engine, const char*> engines[] = {
      {Md5Engine::kScalar, "scalar"}, {Md5Engine::kAvx2, "avx2"}, {Md5Engine::kAvx512, "avx512"}};
  for (const auto& entry : engines) {
    const Md5Engine engine = entry.first;  // a structured binding cannot be captured by clang 14
    const char* name = entry.second;
    if (ferry::Md5LaneWidth(engine) > ferry::Md5LaneWidth(ferry::BestMd5Engine())) continue;
    for (int lanes : {1, 2, 4, 8, 16}) {
      std::vector<ferry::Md5State> states(lanes);
      std::vector<ferry::Md5Lane> work;
      for (int i = 0; i < lanes; ++i) {
        work.push_back(
            {&states[i], reinterpret_cast<const unsigned char*>(messages[i].data()), len / 64});
      }
      std::printf("%-8s %6d %8.2f\n", name, lanes,
                  GigabytesPerSecond(double(len) * lanes, [&] { ferry::Md5Blocks(work, engine); }));
    }
  }
  return 0;
}
