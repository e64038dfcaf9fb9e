#include "app/service.h"


#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "app/publication_signature.h"
#include "core/markdown.h"
#include "core/text.h"
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

// What the previous update (if any) held: for "what changed since".
struct Previous {
  std::optional<ReportData::PreviousPublication> publication;
  std::vector<ReportData::StateRow> states;
};
Result<Previous> LoadPrevious(Store& store, const std::string& slug, Date as_of, int64_t exclude) {
  auto prev = PreviousPublication(store, slug, as_of, exclude);
  if (!prev) return Fail(prev.error());
  Previous out;
  if (*prev) {
    auto snap = ReportFromJson((*prev)->snapshot_json);
    if (!snap)
      return Fail(Error::Corrupt(fmt::format("publication {} has an unreadable snapshot: {}",
                                             (*prev)->id, snap.error().message)));
    out.publication = ReportData::PreviousPublication{(*prev)->id, (*prev)->title, (*prev)->as_of};
    out.states = std::move(snap->states);
  }
  return out;
}

// The recommendations and assignments read this many at a time.
constexpr size_t kPartSize = 8192;

// Store::ScanRecommendations on a thread of its own, `fn` on this one: the
// store reads the next part while the last is being counted and rendered (the
// two take about as long). The store is used by that thread alone until the
// scan ends.
Status ScanPipelined(Store& store, const FactsFilter& filter,
                     const std::function<void(std::vector<Recommendation>&,
                                              std::vector<Assignment>&)>& fn) {
  struct Part {
    std::vector<Recommendation> recs;
    std::vector<Assignment> assignments;
  };
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Part> queue;
  // Parts come back to be filled again, objects and all: their memory is
  // reused rather than given back to the system and allocated anew per part.
  std::vector<Part> spare;
  bool done = false;
  Status scanned;
  std::thread reader([&] {
    Status s = store.ScanRecommendations(
        filter, kPartSize,
        [&](std::vector<Recommendation>& recs, std::vector<Assignment>& assignments) -> Status {
          std::unique_lock<std::mutex> lock(mu);
          changed.wait(lock, [&] { return queue.size() < 2; });
          Part part;
          if (!spare.empty()) {
            part = std::move(spare.back());
            spare.pop_back();
          }
          std::swap(part.recs, recs);
          std::swap(part.assignments, assignments);
          queue.push_back(std::move(part));
          changed.notify_all();
          return {};
        });
    std::lock_guard<std::mutex> lock(mu);
    scanned = std::move(s);
    done = true;
    changed.notify_all();
  });
  while (true) {
    Part part;
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return !queue.empty() || done; });
      if (queue.empty()) break;
      part = std::move(queue.front());
      queue.pop_front();
      changed.notify_all();
    }
    fn(part.recs, part.assignments);
    // Handed back whole: the store reads the next part into these objects.
    std::lock_guard<std::mutex> lock(mu);
    spare.push_back(std::move(part));
  }
  reader.join();
  return scanned;
}

// Ends a read transaction however the scope is left.
struct ReadScope {
  Store& store;
  ~ReadScope() { store.EndRead(); }
};

Result<ReportData> Build(Store& store, const std::string& slug, Date as_of, int64_t exclude) {
  FactsFilter filter;
  filter.source_slug = slug;
  filter.with_text = true;
  auto facts = store.LoadFacts(filter);
  if (!facts) return Fail(facts.error());
  if (facts->sources.empty()) return Fail(Error::NotFound(fmt::format("no source '{}'", slug)));
  auto prev = LoadPrevious(store, slug, as_of, exclude);
  if (!prev) return Fail(prev.error());
  return BuildReport(*facts, facts->sources.front().id, as_of,
                     prev->publication ? &*prev->publication : nullptr,
                     prev->publication ? &prev->states : nullptr);
}

}  // namespace

Result<ReportData> LiveReport(Store& store, const std::string& slug, Date as_of,
                              int64_t exclude_publication) {
  return Build(store, slug, as_of, exclude_publication);
}

Status WriteLiveReport(Store& store, const std::string& slug, Date as_of, ReportFormat format,
                       std::FILE* file) {
  if (format == ReportFormat::kJson) {
    auto data = LiveReport(store, slug, as_of);
    if (!data) return Fail(data.error());
    std::string json = ReportToJson(*data);
    if (std::fwrite(json.data(), 1, json.size(), file) != json.size() || std::fflush(file) != 0)
      return Fail(Error::Io("writing the report failed"));
    return {};
  }
  RT_TRY(store.BeginRead());
  ReadScope scope{store};
  FactsFilter filter;
  filter.source_slug = slug;
  filter.with_text = true;
  filter.recommendations = false;
  auto context = store.LoadFacts(filter);
  if (!context) return Fail(context.error());
  if (context->sources.empty()) return Fail(Error::NotFound(fmt::format("no source '{}'", slug)));
  auto prev = LoadPrevious(store, slug, as_of, 0);
  if (!prev) return Fail(prev.error());
  auto streamed = StreamedReport::Create(format);
  if (!streamed) return Fail(streamed.error());
  ReportBuilder builder(*context, context->sources.front().id, as_of,
                        prev->publication ? &*prev->publication : nullptr,
                        prev->publication ? &prev->states : nullptr, streamed->get());
  // The lists print each recommendation's text and no other (ReportItemView).
  filter.recommendation_text_only = true;
  RT_TRY(ScanPipelined(store, filter,
                       [&](std::vector<Recommendation>& recs, std::vector<Assignment>& assignments) {
                         builder.Add(recs, assignments);
                       }));
  ReportData data = builder.Finish();
  return (*streamed)->WriteTo(data, builder.CentralOrder(), builder.OtherOrder(), file);
}

Result<std::vector<OwnerRow>> LiveOwnersTable(Store& store, const FactsFilter& filter, Date as_of) {
  RT_TRY(store.BeginRead());
  ReadScope scope{store};
  FactsFilter context_filter = filter;
  context_filter.recommendations = false;
  auto context = store.LoadFacts(context_filter);
  if (!context) return Fail(context.error());
  OwnersTally tally(*context, as_of);
  FactsFilter scan = filter;
  scan.with_text = false;
  RT_TRY(ScanPipelined(store, scan,
                       [&](std::vector<Recommendation>& recs, std::vector<Assignment>& assignments) {
                         tally.Add(recs, assignments);
                       }));
  return tally.Finish();
}

namespace {

// The verifier to use: the caller's, or a new one held by `own`.
Result<Verifier*> VerifierFor(Verifier* given, std::unique_ptr<Verifier>* own) {
  if (given) return given;
  auto v = Verifier::Create();
  if (!v) return Fail(v.error());
  *own = std::move(*v);
  return own->get();
}

// The check's first problem as a refusal.
Error Refusal(std::string_view what, const std::vector<std::string>& problems) {
  return Error::Corrupt(fmt::format(
      "{}: the store does not match its ledger ({}{}); run `rectrack verify`", what,
      problems.empty() ? std::string("unknown problem") : problems.front(),
      problems.size() > 1 ? fmt::format(", and {} more", problems.size() - 1) : std::string()));
}

}  // namespace

Result<Checkpoint> MakeCheckpoint(Store& store, const Actor& actor, Verifier* given) {
  std::unique_ptr<Verifier> own;
  auto v = VerifierFor(given, &own);
  if (!v) return Fail(v.error());
  // One transaction: no other writer (another server) may move the ledger
  // between the check and the checkpoint that signs its digest.
  RT_TRY(store.Begin());
  auto fail = [&](Error e) -> Result<Checkpoint> {
    store.Rollback();
    (*v)->Invalidate();
    return Fail(std::move(e));
  };
  auto rep = (*v)->Incremental(store, VerifyOptions{});
  if (!rep) return fail(rep.error());
  if (!rep->ok) return fail(Refusal("no checkpoint was made", rep->problems));
  auto digest = (*v)->ReplayedStateDigest();
  if (!digest) return fail(digest.error());
  auto c = store.AddCheckpoint(*digest, actor);
  if (!c) return fail(c.error());
  // The checkpoint's own event is checked too, so that the verifier stays in step.
  auto after = (*v)->Incremental(store, VerifyOptions{});
  if (!after) return fail(after.error());
  if (auto done = store.Commit(); !done) {
    (*v)->Invalidate();
    return Fail(done.error());
  }
  return c;
}

namespace {

// The checks of PublishRequest, against the store as it is: the source and its
// publications. Returns the report data to freeze (not yet pinned).
Result<ReportData> CheckedRequest(Store& store, const Source& source, Date as_of,
                                  const PublishRequest& r) {
  if (r.title.empty() || r.title.size() > 300)
    return Fail(Error::Invalid("a publication needs a title of at most 300 characters"));
  RT_TRY(CheckCommentary(r.commentary));
  if (r.reason.size() > 2000) return Fail(Error::Invalid("the reason is longer than 2,000 bytes"));
  Date today = r.today ? *r.today : TodayInLondon();
  if (as_of > today)
    return Fail(Error::Invalid(fmt::format(
        "the as-of date {} is after today ({}): an official update speaks for a day that has "
        "come",
        as_of.ToIso(), today.ToIso())));
  if (source.date && as_of < *source.date)
    return Fail(Error::Invalid(fmt::format("the as-of date {} is before the {} itself ({})",
                                           as_of.ToIso(), source.kind.empty() ? "source" : source.kind,
                                           source.date->ToIso())));
  auto pubs = store.ListPublications(source.slug);
  if (!pubs) return Fail(pubs.error());
  if (r.corrects) {
    if (r.reason.empty())
      return Fail(Error::Invalid("a correction says why: give the reason"));
    const Publication* target = nullptr;
    for (const auto& p : *pubs)
      if (p.id == r.corrects) target = &p;
    if (!target)
      return Fail(Error::NotFound(fmt::format("publication {} is not one of {}'s", r.corrects,
                                              source.slug)));
    for (const auto& p : *pubs) {
      auto data = ReportFromJson(p.snapshot_json);
      if (data && data->corrects == r.corrects)
        return Fail(Error::Conflict(fmt::format(
            "publication {} was corrected by publication {} already: correct that one", r.corrects,
            p.id)));
    }
  } else {
    for (const auto& p : *pubs)
      if (p.as_of == as_of && r.reason.empty())
        return Fail(Error::Conflict(fmt::format(
            "publication {} ('{}') is as of {} already: a correction names it (corrects {}) and "
            "says why; a second update as of the same date gives a reason",
            p.id, p.title, as_of.ToIso(), p.id)));
  }
  auto data = Build(store, source.slug, as_of, 0);
  if (!data) return Fail(data.error());
  data->publication_title = r.title;
  data->commentary = r.commentary;
  data->corrects = r.corrects;
  data->correction_reason = r.reason;
  data->published_on = r.published_on;
  return data;
}

}  // namespace

Result<Publication> PublishSource(Store& store, const std::string& slug, Date as_of,
                                  const std::string& title, const Actor& actor,
                                  Verifier* given) {
  PublishRequest r;
  r.title = title;
  return PublishSource(store, slug, as_of, r, actor, given);
}

Result<ReportData> PreviewPublication(Store& store, const std::string& slug, Date as_of,
                                      const PublishRequest& request) {
  RT_TRY(store.BeginRead());
  auto source = store.GetSource(slug);
  if (!source) {
    store.EndRead();
    return Fail(source.error());
  }
  auto data = CheckedRequest(store, *source, as_of, request);
  auto head = store.Head();
  store.EndRead();
  if (!data) return data;
  if (!head) return Fail(head.error());
  data->ledger_seq = head->seq;
  data->ledger_hash = head->hash;
  return data;
}

Result<std::optional<Publication>> CorrectionOf(Store& store, int64_t publication_id) {
  auto pub = store.GetPublication(publication_id);
  if (!pub) return Fail(pub.error());
  auto pubs = store.ListPublications(pub->source_slug);
  if (!pubs) return Fail(pubs.error());
  for (const auto& p : *pubs) {
    auto data = ReportFromJson(p.snapshot_json);
    if (data && data->corrects == publication_id) return std::optional<Publication>(p);
  }
  return std::optional<Publication>();
}

Result<Publication> PublishSource(Store& store, const std::string& slug, Date as_of,
                                  const PublishRequest& request, const Actor& actor,
                                  Verifier* given) {
  std::unique_ptr<Verifier> own;
  auto verifier = VerifierFor(given, &own);
  if (!verifier) return Fail(verifier.error());
  RT_TRY(store.Begin());
  auto fail = [&](Error e) -> Result<Publication> {
    store.Rollback();
    // It may have replayed events that are now undone.
    (*verifier)->Invalidate();
    return Fail(std::move(e));
  };
  auto source = store.GetSource(slug);
  if (!source) return fail(source.error());
  // The request first: a refusal there needs no check of the store.
  auto data = CheckedRequest(store, *source, as_of, request);
  if (!data) return fail(data.error());
  // What is about to be frozen and signed must be what the ledger says.
  auto rep = (*verifier)->Incremental(store, VerifyOptions{});
  if (!rep) return fail(rep.error());
  if (!rep->ok) return fail(Refusal("nothing was published", rep->problems));
  std::vector<std::string> problems;
  if (auto s = (*verifier)->CompareSource(store, source->id, &problems); !s) return fail(s.error());
  if (!problems.empty()) return fail(Refusal("nothing was published", problems));
  auto head = store.Head();
  if (!head) return fail(head.error());
  // The snapshot carries its own title and pin; the id is known once stored, so
  // it is added by PublishedReport from the row, not frozen in the snapshot.
  data->ledger_seq = head->seq;
  data->ledger_hash = head->hash;
  Publication pub;
  pub.source_id = source->id;
  pub.title = request.title;
  pub.as_of = as_of;
  pub.snapshot_json = ReportToJson(*data);
  // Stored and signed in one event, pinned to the head the snapshot names.
  auto stored = store.AddPublication(pub, actor);
  if (!stored) return fail(stored.error());
  if (stored->ledger_seq != head->seq)
    return fail(Error::Conflict("the ledger moved while publishing; try again"));
  // A checkpoint of the head the publication made, for witnesses to keep.
  auto checkpoint = MakeCheckpoint(store, actor, *verifier);
  if (!checkpoint) return fail(checkpoint.error());
  if (auto c = store.Commit(); !c) {
    (*verifier)->Invalidate();
    return Fail(c.error());
  }
  return stored;
}

Result<Publication> CheckedPublication(Store& store, int64_t publication_id) {
  auto pub = store.GetPublication(publication_id);
  if (!pub) return Fail(pub.error());
  auto problems = CheckPublication(store, *pub);
  if (!problems) return Fail(problems.error());
  if (!problems->empty())
    return Fail(Error::Corrupt(fmt::format("publication {} fails its check: {}", publication_id,
                                           Join(*problems, "; "))));
  return pub;
}

Result<ReportData> PublishedReport(Store& store, int64_t publication_id) {
  auto pub = CheckedPublication(store, publication_id);
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
  // One verifier for all of them: the first publication checks the store in
  // full, the next ones only what came since.
  std::unique_ptr<Verifier> verifier;
  for (const auto& s : batch.sources) {
    for (const auto& p : s.publications) {
      if (!verifier) {
        auto v = Verifier::Create();
        if (!v) {
          store.Rollback();
          return Fail(v.error());
        }
        verifier = std::move(*v);
      }
      PublishRequest r;
      r.title = p.title;
      r.published_on = p.published;
      auto pub = PublishSource(store, s.source.slug, p.as_of, r, actor, verifier.get());
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
