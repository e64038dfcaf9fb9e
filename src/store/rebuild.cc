#include "store/rebuild.h"

#include <algorithm>

#include "core/changes.h"
#include "core/ledger.h"
#include "fmt/format.h"

namespace rectrack {

Result<RebuildSummary> Rebuild(Store& source, Store& target, const RebuildOptions& options) {
  auto existing = target.Head();
  if (!existing) return Fail(existing.error());
  if (existing->seq != 0) return Fail(Error::Conflict("the target store is not empty"));
  int64_t total = 0;
  if (options.progress) {
    auto head = source.Head();
    if (!head) return Fail(head.error());
    total = head->seq;
  }
  RebuildSummary sum;
  ChainVerifier chain;
  bool replaying = false;
  Status inner;
  RT_TRY(target.Begin());
  auto s = source.ForEachEvent([&](const LedgerEvent& e) {
    inner = [&]() -> Status {
      if (!chain.Add(e))
        return Fail(Error::Corrupt(fmt::format("the ledger is broken: {}", chain.problem())));
      RT_TRY(target.CopyEvent(e));
      ++sum.events;
      if (options.progress && !replaying) options.progress(sum.events, std::max(total, sum.events));
      if (!replaying && (e.kind == "tracker_key" || e.kind == "baseline")) replaying = true;
      if (!replaying) return {};
      auto payload = ParsePayload(e.payload);
      if (!payload)
        return Fail(Error::Corrupt(fmt::format("event {} ({}) cannot be read: {}", e.seq, e.kind,
                                               payload.error().message)));
      if (auto a = target.Apply(payload->changes, true); !a)
        return Fail(Error::Corrupt(fmt::format("event {} ({}) does not apply: {}", e.seq, e.kind,
                                               a.error().message)));
      ++sum.replayed;
      sum.rows += static_cast<int64_t>(payload->changes.RowCount());
      if (options.progress) options.progress(sum.events, std::max(total, sum.events));
      return {};
    }();
    return static_cast<bool>(inner);
  });
  if (!s || !inner) {
    target.Rollback();
    return Fail(!s ? s.error() : inner.error());
  }
  if (options.copy_secrets) {
    auto secrets = source.ReadSecrets();
    if (!secrets) {
      target.Rollback();
      return Fail(secrets.error());
    }
    if (auto w = target.WriteSecrets(*secrets); !w) {
      target.Rollback();
      return Fail(w.error());
    }
    sum.secrets = static_cast<int64_t>(secrets->size());
  }
  sum.head = {chain.head_seq(), chain.head_hash()};
  if (sum.events > 0) {
    if (auto h = target.SignHead(sum.head); !h) {
      target.Rollback();
      return Fail(h.error());
    }
  }
  RT_TRY(target.Commit());
  return sum;
}

}  // namespace rectrack
