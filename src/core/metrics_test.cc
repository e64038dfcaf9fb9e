#include "core/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rectrack {
namespace {

using R = ResponseKind;
using S = ResponseStatus;
using I = Implementation;

Date D(std::string_view iso) {
  auto d = Date::ParseIso(iso);
  EXPECT_TRUE(d.has_value()) << iso;
  return d.value_or(Date());
}

// Builds Facts by hand, one call per record.
class FactsBuilder {
 public:
  Source& AddSource(int64_t id, std::string kind, std::optional<Date> date,
                    std::optional<int> response_days = std::nullopt) {
    Source s;
    s.id = id;
    s.slug = "src-" + std::to_string(id);
    s.kind = std::move(kind);
    s.title = "Source " + std::to_string(id);
    s.date = date;
    s.response_days = response_days;
    facts_.sources.push_back(s);
    return facts_.sources.back();
  }
  void AddOwner(int64_t id, std::string name, std::string tier) {
    Owner o;
    o.id = id;
    o.name = std::move(name);
    o.tier = std::move(tier);
    facts_.owners.push_back(o);
  }
  Recommendation& AddRec(int64_t id, int64_t source_id, std::string ref,
                         std::optional<Date> made = std::nullopt) {
    Recommendation r;
    r.id = id;
    r.source_id = source_id;
    r.ref = ref;
    r.text = "Text of " + ref;
    r.made = made;
    facts_.recommendations.push_back(r);
    return facts_.recommendations.back();
  }
  Assignment& Assign(int64_t id, int64_t rec_id, int64_t owner_id) {
    Assignment a;
    a.id = id;
    a.recommendation_id = rec_id;
    a.owner_id = owner_id;
    facts_.assignments.push_back(a);
    return facts_.assignments.back();
  }
  Update& AddUpdate(int64_t id, int64_t assignment_id, std::string_view date) {
    Update u;
    u.id = id;
    u.assignment_id = assignment_id;
    u.date = D(date);
    facts_.updates.push_back(u);
    return facts_.updates.back();
  }
  void AddFunding(int64_t source_id, int64_t owner_id, std::string item, int64_t cost,
                  int64_t funded) {
    FundingLine f;
    f.source_id = source_id;
    f.owner_id = owner_id;
    f.item = std::move(item);
    f.period = "per year";
    f.cost = cost;
    f.funded = funded;
    facts_.funding.push_back(f);
  }
  Facts& facts() { return facts_; }

 private:
  Facts facts_;
};

int Count(const std::array<int, 4>& by, S s) { return by[static_cast<int>(s)]; }
int Count(const std::array<int, 7>& by, I i) { return by[static_cast<int>(i)]; }

std::vector<std::string> OwnerNames(const std::vector<OwnerRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.owner);
  return out;
}

const OwnerRow* Row(const std::vector<OwnerRow>& rows, std::string_view owner) {
  for (const auto& r : rows)
    if (r.owner == owner) return &r;
  ADD_FAILURE() << "no row for " << owner;
  return nullptr;
}

// ---- the accountability table ----

class OwnersTableTest : public testing::Test {
 protected:
  // A review dated 2024-01-01 with a 56-day duty (due 2024-02-26), three owners
  // whose ids are not in name order.
  void SetUp() override {
    b_.AddSource(1, "review", D("2024-01-01"), 56);
    b_.AddOwner(3, "Met", "emergency_service");
    b_.AddOwner(1, "Home Office", "central_government");
    b_.AddOwner(2, "GLA", "city");
    b_.AddRec(11, 1, "R1");
    b_.AddRec(12, 1, "R2");
    b_.AddRec(13, 1, "R3", D("2024-01-15"));

    auto& a1 = b_.Assign(101, 11, 3);  // Met: answered and done
    a1.initial.response = R::kAccepted;
    a1.initial.response_date = D("2024-02-01");
    a1.initial.implementation = I::kImplemented;
    b_.Assign(102, 11, 1);             // Home Office: silent past the due date
    auto& a3 = b_.Assign(103, 12, 3);  // Met: own, later due date
    a3.due = D("2024-12-31");
    a3.initial.implementation = I::kInProgress;
    b_.Assign(104, 13, 1);  // Home Office: rejects by validated update
    auto& u = b_.AddUpdate(1, 104, "2024-03-01");
    u.response = R::kRejected;
    u.implementation = I::kNotImplemented;
    auto& a5 = b_.Assign(105, 13, 2);  // GLA: recorded as responded
    a5.initial.recorded_status = S::kResponded;
    a5.initial.implementation = I::kUnknown;
  }
  FactsBuilder b_;
};

TEST_F(OwnersTableTest, OneRowPerOwnerSortedByName) {
  auto rows = OwnersTable(b_.facts(), D("2024-06-01"));
  EXPECT_EQ(OwnerNames(rows), (std::vector<std::string>{"GLA", "Home Office", "Met"}));
  EXPECT_EQ(rows[0].owner_id, 2);
  EXPECT_EQ(rows[1].owner_id, 1);
  EXPECT_EQ(rows[2].owner_id, 3);
  EXPECT_EQ(rows[0].tier, "city");
  EXPECT_EQ(rows[1].tier, "central_government");
  EXPECT_EQ(rows[2].tier, "emergency_service");
}

TEST_F(OwnersTableTest, CountsByResponseStatusAndImplementation) {
  auto rows = OwnersTable(b_.facts(), D("2024-06-01"));
  const OwnerRow* met = Row(rows, "Met");
  const OwnerRow* ho = Row(rows, "Home Office");
  const OwnerRow* gla = Row(rows, "GLA");
  ASSERT_TRUE(met && ho && gla);

  EXPECT_EQ(met->total, 2);
  EXPECT_EQ(Count(met->by_response_status, S::kResponded), 1);
  EXPECT_EQ(Count(met->by_response_status, S::kPending), 1);
  EXPECT_EQ(Count(met->by_response_status, S::kOverdue), 0);
  EXPECT_EQ(Count(met->by_implementation, I::kImplemented), 1);
  EXPECT_EQ(Count(met->by_implementation, I::kInProgress), 1);

  EXPECT_EQ(ho->total, 2);
  EXPECT_EQ(Count(ho->by_response_status, S::kOverdue), 1);
  EXPECT_EQ(Count(ho->by_response_status, S::kResponded), 1);
  EXPECT_EQ(Count(ho->by_implementation, I::kNotStarted), 1);
  EXPECT_EQ(Count(ho->by_implementation, I::kNotImplemented), 1);

  EXPECT_EQ(gla->total, 1);
  EXPECT_EQ(Count(gla->by_response_status, S::kResponded), 1);
  EXPECT_EQ(Count(gla->by_implementation, I::kUnknown), 1);

  for (const auto& r : rows) {
    int rs = 0, im = 0;
    for (int n : r.by_response_status) rs += n;
    for (int n : r.by_implementation) im += n;
    EXPECT_EQ(rs, r.total) << r.owner;
    EXPECT_EQ(im, r.total) << r.owner;
  }
}

TEST_F(OwnersTableTest, CountsAreAsOfTheDate) {
  // Before the due date and before the Home Office's update.
  auto rows = OwnersTable(b_.facts(), D("2024-02-10"));
  const OwnerRow* ho = Row(rows, "Home Office");
  ASSERT_TRUE(ho);
  EXPECT_EQ(Count(ho->by_response_status, S::kPending), 2);
  EXPECT_EQ(Count(ho->by_response_status, S::kOverdue), 0);
  EXPECT_EQ(Count(ho->by_implementation, I::kNotStarted), 2);
  const OwnerRow* met = Row(rows, "Met");
  ASSERT_TRUE(met);
  EXPECT_EQ(Count(met->by_response_status, S::kResponded), 1);

  // Before the Met's response.
  rows = OwnersTable(b_.facts(), D("2024-01-20"));
  met = Row(rows, "Met");
  ASSERT_TRUE(met);
  EXPECT_EQ(Count(met->by_response_status, S::kPending), 2);
}

TEST_F(OwnersTableTest, MedianDaysSinceProgress) {
  auto rows = OwnersTable(b_.facts(), D("2024-06-01"));
  // Met: response 2024-02-01 (121 days) and nothing since the source's date (152).
  ASSERT_TRUE(Row(rows, "Met")->median_days_since_progress.has_value());
  EXPECT_DOUBLE_EQ(*Row(rows, "Met")->median_days_since_progress, 136.5);
  // Home Office: nothing since 2024-01-01 (152) and the update of 2024-03-01 (92).
  EXPECT_DOUBLE_EQ(Row(rows, "Home Office")->median_days_since_progress.value_or(-1), 122.0);
  // GLA: nothing since the recommendation was made, 2024-01-15 (138).
  EXPECT_DOUBLE_EQ(Row(rows, "GLA")->median_days_since_progress.value_or(-1), 138.0);
}

TEST_F(OwnersTableTest, SubmittedUpdatesDoNotCount) {
  auto& u = b_.AddUpdate(2, 102, "2024-04-01");
  u.response = R::kAccepted;
  u.implementation = I::kImplemented;
  u.state = UpdateState::kSubmitted;
  auto rows = OwnersTable(b_.facts(), D("2024-06-01"));
  const OwnerRow* ho = Row(rows, "Home Office");
  ASSERT_TRUE(ho);
  EXPECT_EQ(Count(ho->by_response_status, S::kOverdue), 1);
  EXPECT_EQ(Count(ho->by_implementation, I::kImplemented), 0);
  EXPECT_DOUBLE_EQ(ho->median_days_since_progress.value_or(-1), 122.0);
}

TEST_F(OwnersTableTest, AssignmentsOfUnknownRecommendationsOrSourcesAreSkipped) {
  b_.Assign(900, 999, 1);       // no such recommendation
  b_.AddRec(50, 77, "orphan");  // no such source
  b_.Assign(901, 50, 1);
  auto rows = OwnersTable(b_.facts(), D("2024-06-01"));
  EXPECT_EQ(Row(rows, "Home Office")->total, 2);
}

TEST(OwnersTableMedianTest, OddEvenAndNone) {
  FactsBuilder b;
  b.AddSource(1, "review", std::nullopt);  // no date to fall back on
  b.AddOwner(1, "Odd", "other");
  b.AddOwner(2, "Even", "other");
  b.AddOwner(3, "Never", "other");
  b.AddOwner(4, "Future", "other");
  Date as_of = D("2024-06-01");
  auto rec = [&](int64_t id, int days_before) {
    b.AddRec(id, 1, "R" + std::to_string(id), as_of.AddDays(-days_before));
  };
  // Odd: 10, 50, 20 days -> 20.
  rec(1, 10);
  rec(2, 50);
  rec(3, 20);
  for (int64_t i = 1; i <= 3; ++i) b.Assign(i, i, 1);
  // Even: 100, 10, 30, 20 -> (20 + 30) / 2.
  rec(4, 100);
  rec(5, 10);
  rec(6, 30);
  rec(7, 20);
  for (int64_t i = 4; i <= 7; ++i) b.Assign(i, i, 2);
  // Never: no progress, no made date, no source date.
  b.AddRec(8, 1, "R8");
  b.Assign(8, 8, 3);
  // Future: made after as_of, so there is no age to count.
  rec(9, -5);
  b.Assign(9, 9, 4);

  auto rows = OwnersTable(b.facts(), as_of);
  EXPECT_EQ(OwnerNames(rows), (std::vector<std::string>{"Even", "Future", "Never", "Odd"}));
  EXPECT_DOUBLE_EQ(Row(rows, "Odd")->median_days_since_progress.value_or(-1), 20.0);
  EXPECT_DOUBLE_EQ(Row(rows, "Even")->median_days_since_progress.value_or(-1), 25.0);
  EXPECT_FALSE(Row(rows, "Never")->median_days_since_progress.has_value());
  EXPECT_EQ(Row(rows, "Never")->total, 1);
  EXPECT_FALSE(Row(rows, "Future")->median_days_since_progress.has_value());
}

TEST(OwnersTableMedianTest, EvenCountWithRepeatedValues) {
  FactsBuilder b;
  b.AddSource(1, "review", std::nullopt);
  b.AddOwner(1, "Owner", "other");
  Date as_of = D("2024-06-01");
  int days[] = {7, 3, 7, 1, 9, 3};  // sorted 1 3 3 7 7 9 -> (3 + 7) / 2
  for (int i = 0; i < 6; ++i) {
    b.AddRec(i + 1, 1, "R" + std::to_string(i + 1), as_of.AddDays(-days[i]));
    b.Assign(i + 1, i + 1, 1);
  }
  auto rows = OwnersTable(b.facts(), as_of);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].median_days_since_progress.value_or(-1), 5.0);
}

TEST(OwnersTableEmptyTest, EmptyFacts) {
  Facts f;
  EXPECT_TRUE(OwnersTable(f, D("2024-01-01")).empty());
}

// PFD reports record one roll-up per report, so every recipient is counted
// under the report's roll-up; other sources count each owner's own status.
class OwnersTablePfdTest : public testing::Test {
 protected:
  void SetUp() override {
    b_.AddSource(2, "pfd", D("2024-01-01"), 56);  // due 2024-02-26
    b_.AddSource(3, "review", D("2024-01-01"));   // no duty
    b_.AddOwner(10, "Coastguard", "emergency_service");
    b_.AddOwner(11, "Department for Transport", "central_government");
    // P1: the Coastguard replied, the Department did not.
    b_.AddRec(201, 2, "2024-0001");
    b_.Assign(1, 201, 10).initial.recorded_status = S::kResponded;
    b_.Assign(2, 201, 11);
    // P2: the Coastguard alone, no reply.
    b_.AddRec(202, 2, "2024-0002");
    b_.Assign(3, 202, 10);
    // P3: both reply, the Department on 2024-02-10.
    b_.AddRec(203, 2, "2024-0003");
    b_.Assign(4, 203, 10).initial.recorded_status = S::kResponded;
    b_.Assign(5, 203, 11);
    b_.AddUpdate(1, 5, "2024-02-10").response = R::kAccepted;
    // A review recommendation with the same shape as P1: not rolled up.
    b_.AddRec(301, 3, "R1");
    b_.Assign(6, 301, 10).initial.recorded_status = S::kResponded;
    b_.Assign(7, 301, 11);
  }
  FactsBuilder b_;
};

TEST_F(OwnersTablePfdTest, BeforeTheDueDate) {
  auto rows = OwnersTable(b_.facts(), D("2024-02-01"));
  ASSERT_EQ(rows.size(), 2u);
  const OwnerRow* cg = Row(rows, "Coastguard");
  const OwnerRow* dft = Row(rows, "Department for Transport");
  ASSERT_TRUE(cg && dft);
  // Coastguard: P1 partial, P2 pending, P3 partial, R1 responded.
  EXPECT_EQ(cg->total, 4);
  EXPECT_EQ(Count(cg->by_response_status, S::kPartial), 2);
  EXPECT_EQ(Count(cg->by_response_status, S::kPending), 1);
  EXPECT_EQ(Count(cg->by_response_status, S::kResponded), 1);
  EXPECT_EQ(Count(cg->by_response_status, S::kOverdue), 0);
  // Department: P1 partial, P3 partial, R1 pending (its own status).
  EXPECT_EQ(dft->total, 3);
  EXPECT_EQ(Count(dft->by_response_status, S::kPartial), 2);
  EXPECT_EQ(Count(dft->by_response_status, S::kPending), 1);
  EXPECT_EQ(Count(dft->by_response_status, S::kResponded), 0);
}

TEST_F(OwnersTablePfdTest, AfterTheDueDate) {
  auto rows = OwnersTable(b_.facts(), D("2024-03-01"));
  const OwnerRow* cg = Row(rows, "Coastguard");
  const OwnerRow* dft = Row(rows, "Department for Transport");
  ASSERT_TRUE(cg && dft);
  // Coastguard: P1 partial, P2 overdue, P3 responded, R1 responded.
  EXPECT_EQ(Count(cg->by_response_status, S::kPartial), 1);
  EXPECT_EQ(Count(cg->by_response_status, S::kOverdue), 1);
  EXPECT_EQ(Count(cg->by_response_status, S::kResponded), 2);
  EXPECT_EQ(Count(cg->by_response_status, S::kPending), 0);
  // Department: P1 partial (not its own overdue), P3 responded, R1 pending.
  EXPECT_EQ(Count(dft->by_response_status, S::kPartial), 1);
  EXPECT_EQ(Count(dft->by_response_status, S::kOverdue), 0);
  EXPECT_EQ(Count(dft->by_response_status, S::kResponded), 1);
  EXPECT_EQ(Count(dft->by_response_status, S::kPending), 1);
}

// ---- the official update ----

// The Harris-like source of the BuildReport tests, as of 2017-10-25.
class BuildReportTest : public testing::Test {
 protected:
  static constexpr int64_t kSource = 1;

  void SetUp() override {
    auto& s = b_.AddSource(kSource, "review", D("2016-10-28"));
    s.slug = "harris-2016";
    s.title = "An independent review of London's preparedness";
    s.author = "Lord Toby Harris";
    s.commissioned_by = "Mayor of London";
    s.url = "https://example.org/harris";
    s.notes = "notes";
    s.stated_total = 127;
    auto& other = b_.AddSource(2, "review", D("2016-01-01"));
    other.slug = "other";

    b_.AddOwner(1, "Home Office", "central_government");
    b_.AddOwner(2, "Ministry of Justice", "central_government");
    b_.AddOwner(3, "Met", "emergency_service");
    b_.AddOwner(4, "GLA", "city");
    b_.AddOwner(5, "LFB", "emergency_service");
    b_.AddOwner(6, "Westminster Council", "local_authority");

    // Added out of id order: the report goes by id.
    b_.AddRec(12, kSource, "R2");
    b_.AddRec(11, kSource, "R1");
    for (int i = 3; i <= 7; ++i) b_.AddRec(10 + i, kSource, "R" + std::to_string(i));

    b_.Assign(101, 11, 3).initial.implementation = I::kImplemented;  // R1 Met
    b_.Assign(102, 12, 3).initial.implementation = I::kImplemented;  // R2 Met
    b_.Assign(103, 12, 4).initial.implementation = I::kImplemented;  // R2 GLA
    auto& a104 = b_.Assign(104, 13, 1);  // R3 Home Office, overdue 24 days
    a104.due = D("2017-10-01");
    auto& a105 = b_.Assign(105, 13, 2);  // R3 MoJ, answered, in progress
    a105.initial.response = R::kAccepted;
    a105.initial.response_date = D("2016-12-01");
    a105.initial.implementation = I::kInProgress;
    auto& a106 = b_.Assign(106, 14, 2);  // R4 MoJ, overdue 297 days
    a106.due = D("2017-01-01");
    auto& a107 = b_.Assign(107, 14, 1);  // R4 Home Office, superseded
    a107.initial.response = R::kNoted;
    a107.initial.implementation = I::kSuperseded;
    b_.Assign(108, 15, 5);  // R5 LFB, implemented by updates
    b_.AddUpdate(1, 108, "2017-03-01").implementation = I::kInProgress;
    auto& u2 = b_.AddUpdate(2, 108, "2017-06-01");
    u2.implementation = I::kImplemented;
    u2.narrative = "New control room opened.";
    auto& u3 = b_.AddUpdate(3, 108, "2017-07-01");  // not validated
    u3.implementation = I::kNotImplemented;
    u3.state = UpdateState::kSubmitted;
    b_.Assign(109, 16, 6);                                          // R6 Westminster, not started
    b_.Assign(110, 16, 3).initial.implementation = I::kInProgress;  // R6 Met
    b_.AddUpdate(4, 110, "2017-09-01").narrative = "Pilot running.";
    b_.Assign(111, 17, 6).initial.implementation = I::kUnknown;           // R7 Westminster
    b_.AddUpdate(5, 111, "2017-11-01").implementation = I::kImplemented;  // after as_of

    // Another source's records must not leak in.
    b_.AddRec(21, 2, "X1");
    b_.Assign(201, 21, 1).due = D("2016-02-01");
    b_.AddFunding(2, 1, "Elsewhere", 5000000, 0);

    b_.AddFunding(kSource, 1, "NICC grant", 346000000, 174000000);
    b_.AddFunding(kSource, 3, "Training", 1000000, 1000000);
  }

  ReportData Build(const ReportData::PreviousPublication* prev = nullptr,
                   const std::vector<ReportData::StateRow>* prev_states = nullptr) {
    return BuildReport(b_.facts(), kSource, D("2017-10-25"), prev, prev_states);
  }

  FactsBuilder b_;
};

std::vector<std::string> Refs(const std::vector<ReportData::Item>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.ref);
  return out;
}

TEST_F(BuildReportTest, SourceFields) {
  auto d = Build();
  EXPECT_EQ(d.slug, "harris-2016");
  EXPECT_EQ(d.title, "An independent review of London's preparedness");
  EXPECT_EQ(d.kind, "review");
  EXPECT_EQ(d.author, "Lord Toby Harris");
  EXPECT_EQ(d.commissioned_by, "Mayor of London");
  EXPECT_EQ(d.url, "https://example.org/harris");
  EXPECT_EQ(d.notes, "notes");
  EXPECT_EQ(d.date, D("2016-10-28"));
  EXPECT_EQ(d.stated_total, 127);
  EXPECT_EQ(d.response_days, std::nullopt);
  EXPECT_EQ(d.as_of, D("2017-10-25"));
  EXPECT_FALSE(d.previous.has_value());
}

TEST_F(BuildReportTest, UnknownSourceGivesAnEmptyReport) {
  auto d = BuildReport(b_.facts(), 404, D("2017-10-25"), nullptr, nullptr);
  EXPECT_EQ(d.as_of, D("2017-10-25"));
  EXPECT_EQ(d.total, 0);
  EXPECT_TRUE(d.slug.empty());
  EXPECT_TRUE(d.states.empty());
  EXPECT_TRUE(d.timeline.empty());
}

TEST_F(BuildReportTest, HeadlineCountsUseRollUps) {
  auto d = Build();
  EXPECT_EQ(d.total, 7);
  // R1, R2 (both owners) and R5 (by update); not R3 or R4, whose parts differ.
  EXPECT_EQ(d.implemented, 3);
  EXPECT_EQ(Count(d.by_implementation, I::kImplemented), 3);
  EXPECT_EQ(Count(d.by_implementation, I::kInProgress), 2);  // R3, R6
  EXPECT_EQ(Count(d.by_implementation, I::kNotStarted), 1);  // R4: not started + superseded
  EXPECT_EQ(Count(d.by_implementation, I::kUnknown), 1);     // R7
  EXPECT_EQ(Count(d.by_response_status, S::kPartial), 2);    // R3, R4
  EXPECT_EQ(Count(d.by_response_status, S::kPending), 5);
  EXPECT_EQ(Count(d.by_response_status, S::kOverdue), 0);
}

TEST_F(BuildReportTest, DoneListsImplementedRecommendationsInOrder) {
  auto d = Build();
  EXPECT_EQ(Refs(d.done), (std::vector<std::string>{"R1", "R2", "R5"}));
  ASSERT_EQ(d.done.size(), 3u);
  EXPECT_EQ(d.done[0].owner, "Met");
  EXPECT_EQ(d.done[1].owner, "Met, GLA");  // in assignment order
  EXPECT_EQ(d.done[1].text, "Text of R2");
  EXPECT_EQ(d.done[1].implementation, I::kImplemented);
  EXPECT_EQ(d.done[1].response_status, S::kPending);
  EXPECT_EQ(d.done[2].owner, "LFB");
}

TEST_F(BuildReportTest, OutstandingGroupsCentralGovernmentApart) {
  auto d = Build();
  ASSERT_EQ(d.central_government.size(), 2u);
  // The Ministry holds two outstanding items, the Home Office one (its R4 part
  // is superseded): most outstanding first.
  EXPECT_EQ(d.central_government[0].owner, "Ministry of Justice");
  EXPECT_EQ(d.central_government[0].tier, "central_government");
  EXPECT_EQ(Refs(d.central_government[0].items), (std::vector<std::string>{"R3", "R4"}));
  EXPECT_EQ(d.central_government[1].owner, "Home Office");
  EXPECT_EQ(Refs(d.central_government[1].items), (std::vector<std::string>{"R3"}));

  // R7's implementation is not reported: listed apart, not as outstanding. With
  // one item each, Met and Westminster Council keep alphabetical order.
  ASSERT_EQ(d.outstanding_other.size(), 2u);
  EXPECT_EQ(d.outstanding_other[0].owner, "Met");
  EXPECT_EQ(Refs(d.outstanding_other[0].items), (std::vector<std::string>{"R6"}));
  EXPECT_EQ(d.outstanding_other[1].owner, "Westminster Council");
  EXPECT_EQ(d.outstanding_other[1].tier, "local_authority");
  EXPECT_EQ(Refs(d.outstanding_other[1].items), (std::vector<std::string>{"R6"}));
  ASSERT_EQ(d.not_reported.size(), 1u);
  EXPECT_EQ(d.not_reported[0].ref, "R7");
  EXPECT_EQ(d.not_reported[0].owner, "Westminster Council");
  EXPECT_EQ(d.not_reported[0].implementation, I::kUnknown);
  // Owners with nothing outstanding (GLA, LFB) have no group.
}

TEST_F(BuildReportTest, OutstandingItemsCarryTheAssignmentsState) {
  auto d = Build();
  ASSERT_EQ(d.central_government.size(), 2u);
  const auto& moj = d.central_government[0].items;
  ASSERT_EQ(moj.size(), 2u);
  EXPECT_EQ(moj[0].owner, "Ministry of Justice");
  EXPECT_EQ(moj[0].text, "Text of R3");
  EXPECT_EQ(moj[0].response, R::kAccepted);
  EXPECT_EQ(moj[0].response_status, S::kResponded);
  EXPECT_EQ(moj[0].implementation, I::kInProgress);
  EXPECT_EQ(moj[0].due, std::nullopt);
  EXPECT_EQ(moj[1].response, R::kNone);
  EXPECT_EQ(moj[1].response_status, S::kOverdue);
  EXPECT_EQ(moj[1].implementation, I::kNotStarted);
  EXPECT_EQ(moj[1].due, D("2017-01-01"));
  ASSERT_EQ(d.outstanding_other.size(), 2u);
  ASSERT_EQ(d.outstanding_other[0].items.size(), 1u);
  EXPECT_EQ(d.outstanding_other[0].items[0].note, "Pilot running.");
  EXPECT_EQ(d.outstanding_other[0].items[0].implementation, I::kInProgress);
}

TEST_F(BuildReportTest, TierRows) {
  auto d = Build();
  ASSERT_EQ(d.tiers.size(), 4u);
  // In the order of kTiers.
  EXPECT_EQ(d.tiers[0].tier, "city");
  EXPECT_EQ(d.tiers[1].tier, "central_government");
  EXPECT_EQ(d.tiers[2].tier, "emergency_service");
  EXPECT_EQ(d.tiers[3].tier, "local_authority");

  EXPECT_EQ(d.tiers[0].assignments, 1);
  EXPECT_EQ(d.tiers[0].implemented, 1);
  EXPECT_EQ(d.tiers[0].outstanding, 0);
  EXPECT_EQ(d.tiers[0].overdue, 0);

  EXPECT_EQ(d.tiers[1].assignments, 4);  // not the other source's Home Office item
  EXPECT_EQ(d.tiers[1].implemented, 0);
  EXPECT_EQ(d.tiers[1].outstanding, 3);
  EXPECT_EQ(d.tiers[1].overdue, 2);

  EXPECT_EQ(d.tiers[2].assignments, 4);
  EXPECT_EQ(d.tiers[2].implemented, 3);
  EXPECT_EQ(d.tiers[2].outstanding, 1);
  EXPECT_EQ(d.tiers[2].overdue, 0);

  EXPECT_EQ(d.tiers[3].assignments, 2);
  EXPECT_EQ(d.tiers[3].implemented, 0);
  EXPECT_EQ(d.tiers[3].outstanding, 1);
  EXPECT_EQ(d.tiers[3].not_reported, 1);
  EXPECT_EQ(d.tiers[3].overdue, 0);
}

TEST_F(BuildReportTest, OverdueRowsMostOverdueFirst) {
  auto d = Build();
  ASSERT_EQ(d.overdue.size(), 2u);
  EXPECT_EQ(d.overdue[0].ref, "R4");
  EXPECT_EQ(d.overdue[0].owner, "Ministry of Justice");
  EXPECT_EQ(d.overdue[0].due, D("2017-01-01"));
  EXPECT_EQ(d.overdue[0].days_overdue, 297);
  EXPECT_EQ(d.overdue[1].ref, "R3");
  EXPECT_EQ(d.overdue[1].owner, "Home Office");
  EXPECT_EQ(d.overdue[1].due, D("2017-10-01"));
  EXPECT_EQ(d.overdue[1].days_overdue, 24);
}

TEST_F(BuildReportTest, NotOverdueOnTheDueDateItself) {
  auto d = BuildReport(b_.facts(), kSource, D("2017-10-01"), nullptr, nullptr);
  ASSERT_EQ(d.overdue.size(), 1u);
  EXPECT_EQ(d.overdue[0].ref, "R4");
  EXPECT_EQ(d.overdue[0].days_overdue, 273);
}

TEST_F(BuildReportTest, FundingTotalsAndGap) {
  auto d = Build();
  ASSERT_EQ(d.funding.size(), 2u);
  EXPECT_EQ(d.funding[0].owner, "Home Office");
  EXPECT_EQ(d.funding[0].item, "NICC grant");
  EXPECT_EQ(d.funding[0].period, "per year");
  EXPECT_EQ(d.funding[0].cost, 346000000);
  EXPECT_EQ(d.funding[0].funded, 174000000);
  EXPECT_EQ(d.funding[0].gap, 172000000);
  EXPECT_EQ(d.funding[0].currency, "GBP");
  EXPECT_EQ(d.funding[1].owner, "Met");
  EXPECT_EQ(d.funding[1].gap, 0);
  EXPECT_EQ(d.funding_cost, 347000000);
  EXPECT_EQ(d.funding_funded, 175000000);
  EXPECT_EQ(d.funding_gap, 172000000);
}

TEST_F(BuildReportTest, StatesListEveryAssignment) {
  auto d = Build();
  ASSERT_EQ(d.states.size(), 11u);
  EXPECT_EQ(d.states[0].ref, "R1");
  EXPECT_EQ(d.states[0].owner, "Met");
  EXPECT_EQ(d.states[2].ref, "R2");
  EXPECT_EQ(d.states[2].owner, "GLA");
  EXPECT_EQ(d.states[3].ref, "R3");
  EXPECT_EQ(d.states[3].owner, "Home Office");
  EXPECT_EQ(d.states[3].response_status, S::kOverdue);
  EXPECT_EQ(d.states[7].ref, "R5");
  EXPECT_EQ(d.states[7].implementation, I::kImplemented);
  for (const auto& s : d.states) EXPECT_NE(s.ref, "X1");
}

TEST_F(BuildReportTest, NoChangesWithoutAPreviousUpdate) {
  auto d = Build();
  EXPECT_TRUE(d.changes.empty());
}

TEST_F(BuildReportTest, ChangesAgainstPreviousStates) {
  std::vector<ReportData::StateRow> prev = Build().states;
  ASSERT_EQ(prev.size(), 11u);
  // What the last update said differently.
  auto find = [&](std::string_view ref, std::string_view owner) -> ReportData::StateRow& {
    for (auto& s : prev)
      if (s.ref == ref && s.owner == owner) return s;
    ADD_FAILURE() << ref << " " << owner;
    return prev[0];
  };
  find("R5", "LFB").implementation = I::kInProgress;
  find("R3", "Home Office").response_status = S::kPending;
  auto& both = find("R4", "Ministry of Justice");
  both.implementation = I::kNotImplemented;
  both.response_status = S::kPending;
  // R2's GLA part is new since then.
  prev.erase(prev.begin() + 2);
  // A row for something no longer tracked is listed as removed.
  prev.push_back({"R99", "Met", S::kPending, I::kNotStarted});

  ReportData::PreviousPublication pub{7, "Baseline", D("2016-10-28")};
  auto d = Build(&pub, &prev);
  ASSERT_TRUE(d.previous.has_value());
  EXPECT_EQ(d.previous->id, 7);
  EXPECT_EQ(d.previous->title, "Baseline");
  EXPECT_EQ(d.previous->as_of, D("2016-10-28"));

  struct Want {
    std::string ref, owner, field, from, to;
  };
  std::vector<Want> want = {
      {"R2", "GLA", "assignment", "", "added"},
      {"R3", "Home Office", "response status", "pending", "overdue"},
      {"R4", "Ministry of Justice", "implementation", "not_implemented", "not_started"},
      {"R4", "Ministry of Justice", "response status", "pending", "overdue"},
      {"R5", "LFB", "implementation", "in_progress", "implemented"},
      {"R99", "Met", "assignment", "", "removed"},
  };
  ASSERT_EQ(d.changes.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(d.changes[i].ref, want[i].ref) << i;
    EXPECT_EQ(d.changes[i].owner, want[i].owner) << i;
    EXPECT_EQ(d.changes[i].field, want[i].field) << i;
    EXPECT_EQ(d.changes[i].from, want[i].from) << i;
    EXPECT_EQ(d.changes[i].to, want[i].to) << i;
  }
}

TEST_F(BuildReportTest, EverythingIsAddedAgainstAnEmptyPreviousUpdate) {
  std::vector<ReportData::StateRow> prev;
  auto d = Build(nullptr, &prev);
  ASSERT_EQ(d.changes.size(), 11u);
  for (const auto& c : d.changes) {
    EXPECT_EQ(c.field, "assignment");
    EXPECT_EQ(c.to, "added");
  }
}

TEST_F(BuildReportTest, TimelineCountsImplementedOnEachChangeDay) {
  auto d = Build();
  // The source's date, the two validated implementation updates of R5, as_of.
  // Not: the submitted update (2017-07-01), the narrative-only update
  // (2017-09-01), the update after as_of (2017-11-01).
  ASSERT_EQ(d.timeline.size(), 4u);
  EXPECT_EQ(d.timeline[0].date, D("2016-10-28"));
  EXPECT_EQ(d.timeline[1].date, D("2017-03-01"));
  EXPECT_EQ(d.timeline[2].date, D("2017-06-01"));
  EXPECT_EQ(d.timeline[3].date, D("2017-10-25"));
  // R1 and R2 never change and count from the start; R5 from 2017-06-01.
  EXPECT_EQ(d.timeline[0].implemented, 2);
  EXPECT_EQ(d.timeline[1].implemented, 2);
  EXPECT_EQ(d.timeline[2].implemented, 3);
  EXPECT_EQ(d.timeline[3].implemented, 3);
  EXPECT_EQ(d.timeline.back().implemented, d.implemented);
}

TEST_F(BuildReportTest, TimelineLaterAsOfSeesLaterUpdates) {
  auto d = BuildReport(b_.facts(), kSource, D("2017-12-01"), nullptr, nullptr);
  ASSERT_EQ(d.timeline.size(), 5u);
  EXPECT_EQ(d.timeline[3].date, D("2017-11-01"));
  EXPECT_EQ(d.timeline[3].implemented, 4);  // R7 now implemented
  EXPECT_EQ(d.timeline[4].implemented, 4);
  EXPECT_EQ(d.implemented, 4);
}

TEST(BuildReportTimelineTest, ManyChangeDaysAreSampledToSixtyPoints) {
  FactsBuilder b;
  b.AddSource(1, "review", D("2020-01-01"));
  b.AddOwner(1, "Owner", "other");
  b.AddRec(1, 1, "R1");
  b.Assign(1, 1, 1);
  b.AddRec(2, 1, "R2");
  b.Assign(2, 2, 1).initial.implementation = I::kImplemented;
  Date start = D("2020-01-01");
  for (int i = 1; i <= 100; ++i)
    b.AddUpdate(i, 1, start.AddDays(i).ToIso()).implementation =
        i == 100 ? I::kImplemented : (i % 2 ? I::kInProgress : I::kNotStarted);
  Date as_of = D("2020-12-31");
  auto d = BuildReport(b.facts(), 1, as_of, nullptr, nullptr);
  ASSERT_EQ(d.timeline.size(), 60u);
  EXPECT_EQ(d.timeline.front().date, start);
  EXPECT_EQ(d.timeline.back().date, as_of);
  for (size_t i = 1; i < d.timeline.size(); ++i)
    EXPECT_LT(d.timeline[i - 1].date, d.timeline[i].date) << i;
  EXPECT_EQ(d.timeline.front().implemented, 1);  // R2 from the start
  EXPECT_EQ(d.timeline.back().implemented, 2);
  EXPECT_EQ(d.implemented, 2);
}

TEST(BuildReportTimelineTest, SourceDateAfterAsOfIsNotAPoint) {
  FactsBuilder b;
  b.AddSource(1, "review", D("2025-01-01"));
  b.AddOwner(1, "Owner", "other");
  b.AddRec(1, 1, "R1");
  b.Assign(1, 1, 1).initial.implementation = I::kImplemented;
  auto d = BuildReport(b.facts(), 1, D("2024-06-01"), nullptr, nullptr);
  ASSERT_EQ(d.timeline.size(), 1u);
  EXPECT_EQ(d.timeline[0].date, D("2024-06-01"));
  EXPECT_EQ(d.timeline[0].implemented, 1);
}

TEST(BuildReportRecommendationTest, WithoutAssignmentsCountsButIsNotDone) {
  FactsBuilder b;
  b.AddSource(1, "review", D("2024-01-01"));
  b.AddRec(1, 1, "R1");
  auto d = BuildReport(b.facts(), 1, D("2024-06-01"), nullptr, nullptr);
  EXPECT_EQ(d.total, 1);
  EXPECT_EQ(d.implemented, 0);
  EXPECT_TRUE(d.done.empty());
  EXPECT_EQ(Count(d.by_response_status, S::kPending), 1);
  EXPECT_EQ(Count(d.by_implementation, I::kNotStarted), 1);
  EXPECT_TRUE(d.states.empty());
}

}  // namespace
}  // namespace rectrack
