#include "restore/internal/restore_passes.h"

#include <map>
#include <memory>

namespace kb::restore::internal {
namespace {

std::uint64_t TierBytes(std::vector<std::string> const& tier, BackupScan const& scan) {
  std::uint64_t bytes = 0;
  for (auto const& gr : tier) {
    auto it = scan.types.find(gr);
    if (it != scan.types.end()) bytes += it->second.bytes;
  }
  return bytes;
}

void Submit(PassContext const& ctx, ItemKey key, std::string raw) {
  ctx.queue.Submit([&ctx, key = std::move(key), raw = std::move(raw)] {
    std::string warning;
    RestoredItem item = ctx.applier.Apply(key, raw, warning);
    ctx.run.Record(std::move(item), warning);
  });
}

}  // namespace

std::vector<Pass> PlanPasses(std::vector<std::vector<std::string>> const& tiers,
                             BackupScan const& scan, std::uint64_t budget_bytes) {
  std::vector<Pass> passes;
  std::size_t i = 0;
  while (i < tiers.size()) {
    Pass p{.first = i, .end = i + 1};
    std::uint64_t held = 0;
    while (p.end < tiers.size()) {
      std::uint64_t next = TierBytes(tiers[p.end], scan);
      if (held + next > budget_bytes) break;
      held += next;
      ++p.end;
    }
    passes.push_back(p);
    i = p.end;
  }
  return passes;
}

Status RunPass(PassContext const& ctx, std::vector<std::vector<std::string>> const& tiers,
               Pass const& pass) {
  std::map<std::string, std::size_t> tier_of;
  for (std::size_t t = pass.first; t < pass.end; ++t) {
    for (auto const& gr : tiers[t]) tier_of[gr] = t;
  }
  std::vector<std::vector<std::pair<ItemKey, std::string>>> held(pass.end - pass.first);
  Status st = kube::ReadVeleroTarball(
      ctx.source, ctx.what, RestoreTarLimits(), [&](kube::TarEntry&& entry) -> Status {
        ItemKey key;
        if (!ClassicItem(entry.path, key)) return OkStatus();
        auto t = tier_of.find(key.group_resource);
        if (t == tier_of.end()) return OkStatus();
        if (ctx.selection.HasSelector()) {
          boost::system::error_code ec;
          json::value v = json::parse(entry.content, ec);
          if (!ctx.selection.Decide(key, ec ? nullptr : v.if_object())) return OkStatus();
        } else if (!ctx.selection.Decide(key, nullptr)) {
          return OkStatus();
        }
        if (t->second == pass.first) {
          Submit(ctx, std::move(key), std::move(entry.content));
        } else {
          held[t->second - pass.first].emplace_back(std::move(key), std::move(entry.content));
        }
        return OkStatus();
      });
  ctx.queue.Drain();
  KB_RETURN_IF_ERROR(st);
  for (auto& tier : held) {
    for (auto& [key, raw] : tier) Submit(ctx, std::move(key), std::move(raw));
    tier.clear();
    tier.shrink_to_fit();
    ctx.queue.Drain();
  }
  return OkStatus();
}

}  // namespace kb::restore::internal
