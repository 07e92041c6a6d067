// Running a transfer command: the store, the engine, progress on a terminal and the summary.
#include "cli/run_transfer.h"

#include <unistd.h>

#include "cli/interruption.h"
#include "cli/output.h"

namespace ferry::cli {

Result<TransferSetup> SetUpTransfer(const TransferFlags& tf, bool preserve_posix) {
  TransferSetup setup;
  if (!tf.bwlimit.empty()) {
    auto rate = ParseSize(tf.bwlimit);
    if (!rate.ok() || *rate == 0) return Status::InvalidArgument("--bwlimit: " + tf.bwlimit);
    setup.limiter = std::make_unique<RateLimiter>(*rate);
  }
  auto part_size = ParseSize(tf.part_size);
  if (!part_size.ok() || *part_size < (5 << 20)) {
    return Status::InvalidArgument("--part-size must be at least 5M");
  }
  transfer::TransferOptions& options = setup.options;
  options.transfers = std::max<size_t>(tf.transfers, 1);
  options.part_size = *part_size;
  options.multipart_threshold = 2 * *part_size;
  options.preserve_posix = preserve_posix;
  options.restore_owner = preserve_posix && ::geteuid() == 0;
  return setup;
}

int RunTransfer(std::string_view command, const ClientFlags& client, const TransferFlags& tf,
                bool preserve_posix,
                const std::function<Status(ObjectStore&, transfer::TransferEngine&,
                                           transfer::Progress&)>& plan) {
  auto setup = SetUpTransfer(tf, preserve_posix);
  if (!setup.ok()) return Fail(command, setup.status(), true);
  Interruption interruption{std::string(command)};  // before the store starts threads
  setup->options.interrupt = interruption.flag();
  auto store = OpenStore(client, setup->limiter.get());
  if (!store.ok()) return Fail(command, store.status(), /*usage=*/true);
  const transfer::TransferOptions& options = setup->options;
  transfer::Progress progress;
  transfer::TransferSummary summary;
  Status planned;
  {
    transfer::ProgressPrinter printer(progress,
                                      !tf.quiet && !tf.json && (tf.progress || StderrIsTerminal()));
    transfer::TransferEngine engine(**store, options, progress);
    planned = plan(**store, engine, progress);
    summary = engine.Finish();
  }
  if (interruption.requested()) {
    ReportTransfer(command, summary, StatsOf(**store).retries, tf.json, tf.quiet,
                   /*interrupted=*/true);
    return interruption.exit_code();
  }
  if (!planned.ok() && summary.objects == 0 && summary.failed == 0) {
    return Fail(command, planned);
  }
  if (!planned.ok()) {
    summary.failed++;
    summary.errors.push_back({"", planned});
  }
  return ReportTransfer(command, summary, StatsOf(**store).retries, tf.json, tf.quiet);
}

}  // namespace ferry::cli
