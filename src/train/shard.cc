#include "train/shard.h"

#include <algorithm>
#include <random>

namespace ferry::train {
namespace {

std::optional<uint64_t> Number(const std::map<std::string, std::string>& env,
                               const std::string& name) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  size_t used = 0;
  try {
    uint64_t n = std::stoull(it->second, &used);
    if (used == it->second.size()) return n;
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace

Result<HostRank> ResolveRank(const std::vector<std::string>& hosts, const std::string& current_host,
                             const std::map<std::string, std::string>& environment) {
  if (!hosts.empty() || !current_host.empty()) {
    auto it = std::find(hosts.begin(), hosts.end(), current_host);
    if (it == hosts.end()) {
      return Status::InvalidArgument("--current-host \"" + current_host +
                                     "\" is not one of --hosts");
    }
    return HostRank{static_cast<uint64_t>(it - hosts.begin()), hosts.size(), "flags"};
  }
  const std::pair<const char*, const char*> launchers[] = {
      {"RANK", "WORLD_SIZE"},
      {"SLURM_PROCID", "SLURM_NTASKS"},
      {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"}};
  const char* names[] = {"torchrun", "slurm", "mpirun"};
  for (size_t i = 0; i < std::size(launchers); ++i) {
    auto rank = Number(environment, launchers[i].first);
    auto world = Number(environment, launchers[i].second);
    if (!rank || !world) continue;
    if (*world == 0 || *rank >= *world) {
      return Status::InvalidArgument(std::string(launchers[i].first) + "=" + std::to_string(*rank) +
                                     " is not below " + launchers[i].second + "=" +
                                     std::to_string(*world));
    }
    return HostRank{*rank, *world, names[i]};
  }
  return HostRank{0, 1, "single host"};
}

std::vector<std::string> EpochOrder(std::vector<std::string> keys, std::optional<uint64_t> seed,
                                    uint64_t epoch) {
  if (!seed) return keys;
  // mt19937_64 and a Fisher-Yates pass of our own: std::shuffle's use of the generator is
  // left to the library, and the order must not change with it.
  std::mt19937_64 rng(*seed * 0x9E3779B97F4A7C15ull + epoch);
  for (size_t i = keys.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng() % i);
    std::swap(keys[i - 1], keys[j]);
  }
  return keys;
}

}  // namespace ferry::train
