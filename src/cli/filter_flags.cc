#include "cli/filter_flags.h"

#include <memory>

namespace ferry::cli {
namespace {

transfer::PathFilter OrderedGlobs(const std::vector<transfer::FilterFlag>& flags) {
  transfer::PathFilter globs;
  for (const auto& f : flags) f.include ? globs.Include(f.value) : globs.Exclude(f.value);
  return globs;
}

Status AddDataSyncPatterns(const std::vector<transfer::FilterFlag>& flags,
                           sync::PathSelector& selector) {
  for (const auto& f : flags) {
    FERRY_RETURN_IF_ERROR(f.include ? selector.AddIncludes(f.value)
                                    : selector.AddExcludes(f.value));
  }
  return Status::OK();
}

}  // namespace

void AddFilterFlags(CLI::App& cmd, std::vector<transfer::FilterFlag>& flags) {
  const auto add = [&](const char* name, bool include, const char* help) {
    // Called as each one is parsed, so the order given is kept across the two flags.
    cmd.add_option_function<std::string>(
           name,
           [&flags, include](const std::string& v) {
             flags.push_back({include, v});
           },
           help)
        ->trigger_on_parse()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  };
  add("--include", true,
      "Take only/also these paths (repeatable): AWS CLI globs ('*.jpg', the last matching "
      "--include/--exclude deciding) or DataSync patterns ('/photos|/docs/*.txt')");
  add("--exclude", false,
      "Skip these paths (repeatable): AWS CLI globs ('*.tmp') or DataSync patterns "
      "('*.tmp|/scratch')");
}

Result<std::function<bool(std::string_view)>> CopySelection(
    const std::vector<transfer::FilterFlag>& flags) {
  if (flags.empty()) return std::function<bool(std::string_view)>();
  if (transfer::ChooseFilterDialect(flags, transfer::FilterDialect::kAwsCli) ==
      transfer::FilterDialect::kAwsCli) {
    return std::function<bool(std::string_view)>(
        [globs = OrderedGlobs(flags)](std::string_view relative) {
          return globs.Matches(relative);
        });
  }
  auto selector = std::make_shared<sync::PathSelector>();
  FERRY_RETURN_IF_ERROR(AddDataSyncPatterns(flags, *selector));
  return std::function<bool(std::string_view)>(
      [selector](std::string_view relative) { return selector->Selects(relative); });
}

Status AddSyncFilters(const std::vector<transfer::FilterFlag>& flags,
                      sync::PathSelector& selector) {
  if (flags.empty()) return Status::OK();
  if (transfer::ChooseFilterDialect(flags, transfer::FilterDialect::kDataSync) ==
      transfer::FilterDialect::kAwsCli) {
    selector.UseOrderedGlobs(OrderedGlobs(flags));
    return Status::OK();
  }
  return AddDataSyncPatterns(flags, selector);
}

}  // namespace ferry::cli
