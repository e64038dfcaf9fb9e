#pragma once

#include <array>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace rectrack {

// What the metrics need, loaded by a store in a few scans. Long texts are only
// filled where a report needs them (`with_text`).
struct Facts {
  std::vector<Source> sources;
  std::vector<Owner> owners;
  std::vector<Recommendation> recommendations;  // text may be empty
  std::vector<Assignment> assignments;          // raw_* may be empty
  std::vector<Update> updates;                  // validated only
  std::vector<FundingLine> funding;
  std::vector<Publication> publications;        // with snapshots, for "changes since"
};

// One row of the accountability table.
struct OwnerRow {
  int64_t owner_id = 0;
  std::string owner;
  std::string tier;
  int total = 0;
  // Indexed by static_cast<int>(ResponseStatus) / static_cast<int>(Implementation).
  std::array<int, 4> by_response_status{};
  std::array<int, 7> by_implementation{};
  // Assignments whose implementation is past its target date (DaysPastTarget).
  int past_target = 0;
  // Median over the owner's assignments of days from last reported progress (or,
  // without any, from when the recommendation was made) to as_of.
  std::optional<double> median_days_since_progress;
};

// The accountability table: one row per owner with assignments in `facts`,
// sorted by owner name. Assignments of PFD sources count under their
// recommendation's roll-up response status.
std::vector<OwnerRow> OwnersTable(const Facts& facts, Date as_of);

// The same table built a part of the recommendations at a time, so that a
// million of them need not be in memory at once. `context` holds the sources,
// owners and validated updates (its recommendations and assignments are not
// read); each Add gives recommendations with all of their assignments (a
// recommendation's assignments never split across two parts). The result is
// OwnersTable's over the union of the parts.
class OwnersTally {
 public:
  OwnersTally(const Facts& context, Date as_of);
  ~OwnersTally();
  OwnersTally(const OwnersTally&) = delete;
  OwnersTally& operator=(const OwnersTally&) = delete;
  void Add(const std::vector<Recommendation>& recommendations,
           const std::vector<Assignment>& assignments);
  std::vector<OwnerRow> Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The data of an official progress update. Rendering it (report/) is a pure
// function, so a stored snapshot reproduces a publication byte for byte.
struct ReportData {
  struct Item {
    std::string ref;
    std::string text;
    std::string owner;  // for recommendation-level items: owners joined by ", "
    std::string tier;
    ResponseKind response = ResponseKind::kNone;
    ResponseStatus response_status = ResponseStatus::kPending;
    Implementation implementation = Implementation::kNotStarted;
    std::optional<Date> due;
    std::string note;   // latest narrative
  };
  struct OwnerGroup {
    std::string owner;
    std::string tier;
    std::vector<Item> items;
  };
  struct TierRow {
    std::string tier;
    int assignments = 0;
    int implemented = 0;
    int outstanding = 0;
    int not_reported = 0;
    int overdue = 0;
  };
  struct OverdueRow {
    std::string ref;
    std::string owner;
    Date due;
    int days_overdue = 0;
  };
  struct PastTargetRow {  // implementation past its target date (DaysPastTarget)
    std::string ref;
    std::string owner;
    Date target;
    int days_past = 0;
  };
  struct Change {
    std::string ref;
    std::string owner;
    std::string field;  // "implementation" or "response status"
    std::string from;   // canonical names
    std::string to;
  };
  struct FundingRow {
    std::string owner;
    std::string item;
    std::string period;
    int64_t cost = 0;
    int64_t funded = 0;
    int64_t gap = 0;
    std::string currency;
  };
  struct StateRow {  // every assignment's state, kept so the next update can diff
    std::string ref;
    std::string owner;
    ResponseStatus response_status = ResponseStatus::kPending;
    Implementation implementation = Implementation::kNotStarted;
  };
  struct TimelinePoint {
    Date date;
    int implemented = 0;
  };
  struct PreviousPublication {
    int64_t id = 0;
    std::string title;
    Date as_of;
  };

  // The source.
  std::string slug, title, kind, author, commissioned_by, url, notes;
  std::optional<Date> date;
  std::optional<int> stated_total;
  std::optional<int> response_days;

  Date as_of;
  // Set once published.
  int64_t publication_id = 0;
  std::string publication_title;
  // Optional parts of a publication, in its snapshot only when given (so the
  // snapshots of publications made before them are unchanged):
  std::string commentary;           // the office's own words, Markdown (core/markdown.h)
  int64_t corrects = 0;             // the publication this one corrects
  std::string correction_reason;    // why (also for a second update as of the same date)
  std::optional<Date> published_on;  // an imported update: when it was first published
  int64_t ledger_seq = 0;
  std::string ledger_hash;

  int total = 0;        // recommendations tracked
  int implemented = 0;  // recommendations whose roll-up is implemented
  std::array<int, 7> by_implementation{};  // recommendation roll-ups
  std::array<int, 4> by_response_status{};
  std::vector<Item> done;                  // implemented recommendations
  std::vector<OwnerGroup> central_government;  // outstanding, by department
  std::vector<OwnerGroup> outstanding_other;   // outstanding, by owner
  // Assignments whose implementation nobody has reported (kUnknown): neither done
  // nor known to be outstanding, so listed apart rather than guessed.
  std::vector<Item> not_reported;
  std::vector<TierRow> tiers;
  std::vector<OverdueRow> overdue;
  // In the snapshot only when not empty (snapshots made before it unchanged).
  std::vector<PastTargetRow> past_target;
  std::optional<PreviousPublication> previous;
  std::vector<Change> changes;
  std::vector<FundingRow> funding;
  int64_t funding_cost = 0, funding_funded = 0, funding_gap = 0;
  std::vector<TimelinePoint> timeline;
  std::vector<StateRow> states;
};

// Where ReportBuilder hands the report's three long lists, item by item, when
// they are not to be kept in the ReportData (a streamed rendering): in each
// list's order. `group` numbers owner groups in the order they first appear;
// ReportBuilder::GroupOrder says in which order the report lists them.
// The items come as views of the builder's data, valid during the call.
struct ReportItemView {
  std::string_view ref, text, owner, tier;
  ResponseKind response = ResponseKind::kNone;
  ResponseStatus response_status = ResponseStatus::kPending;
  Implementation implementation = Implementation::kNotStarted;
  std::optional<Date> due;
  std::string_view note;
};
class ReportItemSink {
 public:
  virtual ~ReportItemSink() = default;
  virtual void Done(const ReportItemView& item) = 0;
  virtual void Outstanding(size_t group, const ReportItemView& item) = 0;
  virtual void NotReported(const ReportItemView& item) = 0;
};

// BuildReport a part of the recommendations at a time (in ascending id order,
// each with all of its assignments; `context` as for OwnersTally, plus the
// funding). With a sink, the finished ReportData has the long lists empty (its
// owner groups without items) and no `states`; without one it is exactly
// BuildReport's.
class ReportBuilder {
 public:
  ReportBuilder(const Facts& context, int64_t source_id, Date as_of,
                const ReportData::PreviousPublication* previous,
                const std::vector<ReportData::StateRow>* previous_states,
                ReportItemSink* sink = nullptr);
  ~ReportBuilder();
  ReportBuilder(const ReportBuilder&) = delete;
  ReportBuilder& operator=(const ReportBuilder&) = delete;
  void Add(const std::vector<Recommendation>& recommendations,
           const std::vector<Assignment>& assignments);
  ReportData Finish();
  // After Finish: the sink's group numbers of ReportData::central_government and
  // ReportData::outstanding_other, in the report's order.
  const std::vector<size_t>& CentralOrder() const;
  const std::vector<size_t>& OtherOrder() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Builds the update of `source_id` as of `as_of`. `facts` must hold the source's
// recommendations (with text), assignments, updates, owners, funding and
// publications. `previous` and `previous_states` (from its snapshot) give
// "what changed since the last official update"; both may be null.
ReportData BuildReport(const Facts& facts, int64_t source_id, Date as_of,
                       const ReportData::PreviousPublication* previous,
                       const std::vector<ReportData::StateRow>* previous_states);

}  // namespace rectrack
