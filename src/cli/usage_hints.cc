#include "cli/usage_hints.h"

#include <algorithm>

namespace ferry::cli {
namespace {

// Edits (insert, delete, substitute, swap two neighbours) that turn a into b.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

const CLI::App* FindSubcommand(const CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

// The long and short option names of app and its parents ("--channel", "-r").
std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
      for (const auto& s : o->get_snames()) names.push_back("-" + s);
    }
  }
  return names;
}

bool TakesValue(const CLI::App& app, const std::string& flag) {
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    const CLI::Option* o = a->get_option_no_throw(flag);
    if (o != nullptr) return o->get_type_size() != 0;
  }
  return false;
}

std::string Hint(const std::string& word, const std::vector<std::string>& candidates) {
  auto nearest = NearestName(word, candidates);
  return nearest ? " (did you mean " + *nearest + "?)" : "";
}

}  // namespace

std::optional<std::string> NearestName(const std::string& word,
                                       const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::optional<std::string> UnknownArgumentMessage(const CLI::App& app,
                                                  const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  std::string path = "ferry";
  bool expect_subcommand = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string flag = arg.substr(0, arg.find('='));
      if (flag == "--help" || flag == "-h" || flag == "--version") return std::nullopt;
      bool known = false;
      for (const CLI::App* a = current; a != nullptr && !known; a = a->get_parent()) {
        known = a->get_option_no_throw(flag) != nullptr;
      }
      if (!known) {
        return path + ": unknown option " + flag + Hint(flag, OptionNames(*current));
      }
      if (arg.find('=') == std::string::npos && TakesValue(*current, flag)) ++i;
      continue;
    }
    if (expect_subcommand &&
        current->get_subcommands([](const CLI::App*) { return true; }).size() > 0) {
      const CLI::App* sub = FindSubcommand(*current, arg);
      // A command that takes arguments of its own besides its subcommands (`ferry gateway
      // SOURCE MOUNTPOINT` and `ferry gateway status`): an unknown word is an argument.
      const bool takes_arguments =
          !current->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
      if (sub == nullptr && takes_arguments) {
        expect_subcommand = false;
        continue;
      }
      if (sub == nullptr) {
        std::string names;
        for (const auto& n : SubcommandNames(*current)) names += (names.empty() ? "" : ", ") + n;
        return path + ": unknown command \"" + arg + "\"" + Hint(arg, SubcommandNames(*current)) +
               "; commands: " + names;
      }
      current = sub;
      path += " " + arg;
      continue;
    }
    expect_subcommand = false;  // a positional argument: what follows is not a command
  }
  return std::nullopt;
}

}  // namespace ferry::cli
