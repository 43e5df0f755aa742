#pragma once
// The apply passes of a resource restore. The tarball's entries come in the order the backup
// wrote them, not in restore order, so each pass streams the tarball again: the items of the
// pass's first tier go to the workers as they arrive (download and apply overlap), the items of
// its later tiers are held in memory up to a byte budget and applied after, tier by tier.

#include <cstdint>
#include <string>
#include <vector>

#include "kube/velero_tar_reader.h"
#include "restore/internal/restore_run.h"
#include "restore/internal/work_queue.h"
#include "restore/item_applier.h"
#include "restore/restore_scan.h"
#include "restore/restore_selection.h"

namespace kb::restore::internal {

/// One pass: tiers[first] streamed, tiers[first+1 .. end) held.
struct Pass {
  std::size_t first = 0;
  std::size_t end = 0;
};

/// Groups `tiers` (each a list of group-resources) into passes: a pass starts with a tier that
/// is streamed, whatever its size, and takes the following tiers while their stored bytes
/// (from `scan`) stay within `budget_bytes`.
std::vector<Pass> PlanPasses(std::vector<std::vector<std::string>> const& tiers,
                             BackupScan const& scan, std::uint64_t budget_bytes);

/// What a pass needs.
struct PassContext {
  kube::TarballSource const& source;
  std::string const& what;
  RestoreSelection const& selection;
  ItemApplier const& applier;
  WorkQueue& queue;
  RestoreRun& run;
};

/// Runs one pass over `tiers[pass.first .. pass.end)`. Returns when every item of the pass was
/// applied. Errors: the tarball's (the location failed mid-way); items are never errors here.
Status RunPass(PassContext const& ctx, std::vector<std::vector<std::string>> const& tiers,
               Pass const& pass);

}  // namespace kb::restore::internal
