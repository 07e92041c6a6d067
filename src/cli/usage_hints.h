// Usage errors that name what was wrong: an unknown command or option, with the nearest
// known one ("ferry: unknown command \"lss\" (did you mean \"ls\"?)"), where CLI11 alone says
// "A subcommand is required" or lists every stray argument.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ferry::cli {

// The message for the first unknown command or option in args (argv without the program),
// or nullopt when all are known and CLI11's own message applies.
std::optional<std::string> UnknownArgumentMessage(const CLI::App& app,
                                                  const std::vector<std::string>& args);

// The candidate nearest to word by edit distance, if it is near enough to be a typo.
std::optional<std::string> NearestName(const std::string& word,
                                       const std::vector<std::string>& candidates);

}  // namespace ferry::cli
