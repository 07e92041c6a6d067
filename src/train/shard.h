// Who this host is among the job's hosts (its rank shards the data: channel_objects.h) and
// the order of an epoch: a shuffle seed reorders a host's keys per epoch, the same order on
// every run with the same seed. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/result.h"

namespace ferry::train {

struct HostRank {
  uint64_t rank = 0;
  uint64_t world = 1;
  std::string source;  // where it came from, for the job record: "flags", "torchrun", ...
};

// The rank from --hosts/--current-host when given, else from the launcher's environment:
// torchrun (RANK, WORLD_SIZE), Slurm (SLURM_PROCID, SLURM_NTASKS), Open MPI
// (OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE); else rank 0 of 1.
Result<HostRank> ResolveRank(const std::vector<std::string>& hosts, const std::string& current_host,
                             const std::map<std::string, std::string>& environment);

// The order of an epoch: keys as they are without a seed, else a permutation that depends
// only on (seed, epoch).
std::vector<std::string> EpochOrder(std::vector<std::string> keys, std::optional<uint64_t> seed,
                                    uint64_t epoch);

}  // namespace ferry::train
