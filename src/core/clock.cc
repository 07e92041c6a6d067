#include "core/clock.h"

#include <chrono>

namespace ferry {
namespace {

class RealtimeClock final : public Clock {
 public:
  int64_t NowNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const Clock& SystemClock() {
  static const RealtimeClock clock;  // stateless, so sharing it is not shared mutable state
  return clock;
}

}  // namespace ferry
