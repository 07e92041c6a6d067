// --include and --exclude for cp and sync, accepted in both forms (the AWS CLI's ordered globs
// and DataSync's '|' patterns, transfer/filter.h), each command reading an ambiguous set in
// its own form.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string_view>
#include <vector>

#include "ferry/result.h"
#include "sync/pattern.h"
#include "transfer/filter.h"

namespace ferry::cli {

// Adds --include and --exclude (repeatable); flags receives them in command-line order.
void AddFilterFlags(CLI::App& cmd, std::vector<transfer::FilterFlag>& flags);

// cp: which relative paths are copied; unset when there are no filters.
Result<std::function<bool(std::string_view)>> CopySelection(
    const std::vector<transfer::FilterFlag>& flags);

// sync: the filters added to selector.
Status AddSyncFilters(const std::vector<transfer::FilterFlag>& flags, sync::PathSelector& selector);

}  // namespace ferry::cli
