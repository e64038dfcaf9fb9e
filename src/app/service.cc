#include "app/service.h"

#include <chrono>

#include "app/publication_signature.h"
#include "date/tz.h"
#include "fmt/format.h"
#include "report/report_render.h"

namespace rectrack {

Date TodayInLondon() {
  try {
    auto zt = date::make_zoned("Europe/London", std::chrono::system_clock::now());
    auto local_day = date::floor<date::days>(zt.get_local_time());
    return Date::FromDays(static_cast<int32_t>(local_day.time_since_epoch().count()));
  } catch (const std::exception&) {
    // No time zone database: fall back to UTC, which differs by at most an hour.
    auto day = date::floor<date::days>(std::chrono::system_clock::now());
    return Date::FromDays(static_cast<int32_t>(day.time_since_epoch().count()));
  }
}

namespace {

// The latest publication of the source dated before as_of.
Result<std::optional<Publication>> PreviousPublication(Store& store, const std::string& slug,
                                                       Date as_of, int64_t exclude) {
  auto pubs = store.ListPublications(slug);
  if (!pubs) return Fail(pubs.error());
  std::optional<Publication> prev;
  for (auto& p : *pubs) {
    // Strictly earlier: an update compares itself with the one before it.
    if (p.id == exclude || p.as_of >= as_of) continue;
    if (!prev || p.as_of > prev->as_of || (p.as_of == prev->as_of && p.id > prev->id))
      prev = std::move(p);
  }
  return prev;
}

Result<ReportData> Build(Store& store, const std::string& slug, Date as_of, int64_t exclude) {
  FactsFilter filter;
  filter.source_slug = slug;
  filter.with_text = true;
  auto facts = store.LoadFacts(filter);
  if (!facts) return Fail(facts.error());
  if (facts->sources.empty()) return Fail(Error::NotFound(fmt::format("no source '{}'", slug)));
  auto prev = PreviousPublication(store, slug, as_of, exclude);
  if (!prev) return Fail(prev.error());
  std::optional<ReportData::PreviousPublication> previous;
  std::vector<ReportData::StateRow> states;
  if (*prev) {
    auto snap = ReportFromJson((*prev)->snapshot_json);
    if (!snap)
      return Fail(Error::Corrupt(fmt::format("publication {} has an unreadable snapshot: {}",
                                             (*prev)->id, snap.error().message)));
    previous = ReportData::PreviousPublication{(*prev)->id, (*prev)->title, (*prev)->as_of};
    states = std::move(snap->states);
  }
  return BuildReport(*facts, facts->sources.front().id, as_of, previous ? &*previous : nullptr,
                     previous ? &states : nullptr);
}

}  // namespace

Result<ReportData> LiveReport(Store& store, const std::string& slug, Date as_of,
                              int64_t exclude_publication) {
  return Build(store, slug, as_of, exclude_publication);
}

Result<Publication> PublishSource(Store& store, const std::string& slug, Date as_of,
                                  const std::string& title, const Actor& actor) {
  if (title.empty()) return Fail(Error::Invalid("a publication needs a title"));
  RT_TRY(store.Begin());
  auto source = store.GetSource(slug);
  if (!source) {
    store.Rollback();
    return Fail(source.error());
  }
  auto data = Build(store, slug, as_of, 0);
  if (!data) {
    store.Rollback();
    return Fail(data.error());
  }
  auto head = store.Head();
  if (!head) {
    store.Rollback();
    return Fail(head.error());
  }
  // The snapshot carries its own title and pin; the id is known once stored, so
  // it is added by PublishedReport from the row, not frozen in the snapshot.
  data->publication_title = title;
  data->ledger_seq = head->seq;
  data->ledger_hash = head->hash;
  Publication pub;
  pub.source_id = source->id;
  pub.title = title;
  pub.as_of = as_of;
  pub.snapshot_json = ReportToJson(*data);
  auto stored = store.AddPublication(pub, actor);
  if (!stored) {
    store.Rollback();
    return Fail(stored.error());
  }
  if (stored->ledger_seq != head->seq) {
    store.Rollback();
    return Fail(Error::Conflict("the ledger moved while publishing; try again"));
  }
  // Signed in the same transaction: no publication exists unsigned.
  stored->source_slug = slug;
  if (auto s = SignPublication(store, &*stored); !s) {
    store.Rollback();
    return Fail(s.error());
  }
  RT_TRY(store.Commit());
  return stored;
}

Result<ReportData> PublishedReport(Store& store, int64_t publication_id) {
  auto pub = store.GetPublication(publication_id);
  if (!pub) return Fail(pub.error());
  auto data = ReportFromJson(pub->snapshot_json);
  if (!data)
    return Fail(Error::Corrupt(fmt::format("publication {} has an unreadable snapshot: {}",
                                           publication_id, data.error().message)));
  data->publication_id = pub->id;
  return data;
}

Result<ImportSummary> ImportWithPublications(Store& store, const ImportBatch& batch,
                                             const Actor& actor, const std::string& origin) {
  RT_TRY(store.Begin());
  auto summary = store.Import(batch, actor, origin);
  if (!summary) {
    store.Rollback();
    return summary;
  }
  for (const auto& s : batch.sources) {
    for (const auto& p : s.publications) {
      auto pub = PublishSource(store, s.source.slug, p.as_of, p.title, actor);
      if (!pub) {
        store.Rollback();
        return Fail(Error{pub.error().code,
                          fmt::format("publication '{}' of source '{}': {}", p.title,
                                      s.source.slug, pub.error().message)});
      }
    }
  }
  RT_TRY(store.Commit());
  return summary;
}

}  // namespace rectrack
