#include "core/status.h"

#include <gtest/gtest.h>

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

Update MakeUpdate(int64_t id, std::string_view date) {
  Update u;
  u.id = id;
  u.assignment_id = 1;
  u.date = D(date);
  return u;
}

std::vector<const Update*> Ptrs(const std::vector<Update>& v) {
  std::vector<const Update*> out;
  for (const auto& u : v) out.push_back(&u);
  return out;
}

EffectiveState At(const Assignment& a, std::optional<Date> due, const std::vector<Update>& ups,
                  std::string_view as_of, std::optional<Date> recorded_on = std::nullopt) {
  auto ptrs = Ptrs(ups);
  return StateAt(a, due, ptrs, D(as_of), recorded_on);
}

// ---- due dates ----

TEST(DueDateTest, AssignmentsOwnDueDateWins) {
  Source s;
  s.date = D("2024-01-01");
  s.response_days = 56;
  Assignment a;
  a.due = D("2024-01-10");
  EXPECT_EQ(DueDate(s, a), D("2024-01-10"));
}

TEST(DueDateTest, SourceDutyCountsFromTheSourceDate) {
  Source s;
  s.date = D("2024-01-15");
  s.response_days = 56;  // PFD: 56 days, across the leap day
  Assignment a;
  EXPECT_EQ(DueDate(s, a), D("2024-03-11"));
  s.date = D("2016-10-28");
  EXPECT_EQ(DueDate(s, a), D("2016-12-23"));
  s.response_days = 0;
  EXPECT_EQ(DueDate(s, a), D("2016-10-28"));
}

TEST(DueDateTest, NoneWithoutADuty) {
  Source s;
  Assignment a;
  EXPECT_EQ(DueDate(s, a), std::nullopt);
  s.date = D("2024-01-15");
  EXPECT_EQ(DueDate(s, a), std::nullopt);  // a date but no duty
  s.date.reset();
  s.response_days = 56;
  EXPECT_EQ(DueDate(s, a), std::nullopt);  // a duty but no date to count from
}

// ---- StateAt: pending and overdue ----

TEST(StateAtTest, PendingUntilTheDayAfterTheDueDate) {
  Assignment a;
  Date due = D("2024-02-26");
  EXPECT_EQ(At(a, due, {}, "2024-01-01").response_status, S::kPending);
  EXPECT_EQ(At(a, due, {}, "2024-02-25").response_status, S::kPending);
  EXPECT_EQ(At(a, due, {}, "2024-02-26").response_status, S::kPending);  // due today
  EXPECT_EQ(At(a, due, {}, "2024-02-27").response_status, S::kOverdue);
  EXPECT_EQ(At(a, due, {}, "2030-01-01").response_status, S::kOverdue);
}

TEST(StateAtTest, NeverOverdueWithoutADueDate) {
  Assignment a;
  EXPECT_EQ(At(a, std::nullopt, {}, "2099-12-31").response_status, S::kPending);
}

TEST(StateAtTest, ImportedStateIsTheStartingPoint) {
  Assignment a;
  a.initial.implementation = I::kInProgress;
  auto st = At(a, std::nullopt, {}, "2024-01-01");
  EXPECT_EQ(st.implementation, I::kInProgress);
  EXPECT_EQ(st.response, R::kNone);
  EXPECT_EQ(st.response_date, std::nullopt);
  EXPECT_EQ(st.last_progress, std::nullopt);
  EXPECT_EQ(st.latest_narrative, "");
}

TEST(StateAtTest, RecordedOverdueSticksFromRecordedOnOn) {
  Assignment a;
  a.initial.recorded_status = S::kOverdue;
  Date recorded_on = D("2024-03-01");
  // No due date known: only the record says it is overdue.
  EXPECT_EQ(At(a, std::nullopt, {}, "2024-02-29", recorded_on).response_status, S::kPending);
  EXPECT_EQ(At(a, std::nullopt, {}, "2024-03-01", recorded_on).response_status, S::kOverdue);
  EXPECT_EQ(At(a, std::nullopt, {}, "2025-03-01", recorded_on).response_status, S::kOverdue);
  // Without recorded_on the record holds at any date.
  EXPECT_EQ(At(a, std::nullopt, {}, "1999-01-01").response_status, S::kOverdue);
  // A due date that passed earlier than recorded_on makes it overdue earlier.
  EXPECT_EQ(At(a, D("2024-02-10"), {}, "2024-02-11", recorded_on).response_status, S::kOverdue);
  EXPECT_EQ(At(a, D("2024-02-10"), {}, "2024-02-10", recorded_on).response_status, S::kPending);
}

TEST(StateAtTest, RecordedRespondedAndPartialStick) {
  Assignment a;
  a.initial.recorded_status = S::kResponded;
  Date due = D("2024-02-26");
  Date recorded_on = D("2024-06-01");
  EXPECT_EQ(At(a, due, {}, "2024-01-01", recorded_on).response_status, S::kResponded);
  EXPECT_EQ(At(a, due, {}, "2025-01-01", recorded_on).response_status, S::kResponded);
  a.initial.recorded_status = S::kPartial;
  EXPECT_EQ(At(a, due, {}, "2024-01-01", recorded_on).response_status, S::kPartial);
  // Partial is not turned into overdue by the due date passing.
  EXPECT_EQ(At(a, due, {}, "2025-01-01", recorded_on).response_status, S::kPartial);
}

TEST(StateAtTest, RecordedPendingIsRederived) {
  Assignment a;
  a.initial.recorded_status = S::kPending;
  EXPECT_EQ(At(a, D("2024-02-26"), {}, "2024-03-01", D("2024-01-01")).response_status, S::kOverdue);
}

// ---- StateAt: responses ----

TEST(StateAtTest, InitialResponseCountsFromItsDate) {
  Assignment a;
  a.initial.response = R::kAccepted;
  a.initial.response_date = D("2024-02-01");
  Date due = D("2024-01-20");  // answered late

  auto before = At(a, due, {}, "2024-01-31");
  EXPECT_EQ(before.response, R::kNone);
  EXPECT_EQ(before.response_date, std::nullopt);
  EXPECT_EQ(before.last_progress, std::nullopt);
  EXPECT_EQ(before.response_status, S::kOverdue);

  auto on = At(a, due, {}, "2024-02-01");
  EXPECT_EQ(on.response, R::kAccepted);
  EXPECT_EQ(on.response_date, D("2024-02-01"));
  EXPECT_EQ(on.last_progress, D("2024-02-01"));
  EXPECT_EQ(on.response_status, S::kResponded);
}

TEST(StateAtTest, InitialResponseAfterAsOfIsIgnoredBeforeTheDueDate) {
  Assignment a;
  a.initial.response = R::kRejected;
  a.initial.response_date = D("2024-02-01");
  auto st = At(a, D("2024-02-26"), {}, "2024-01-15");
  EXPECT_EQ(st.response, R::kNone);
  EXPECT_EQ(st.response_status, S::kPending);
}

TEST(StateAtTest, UndatedInitialResponseAlwaysCounts) {
  Assignment a;
  a.initial.response = R::kNoted;
  auto st = At(a, D("2024-02-26"), {}, "2024-12-01");
  EXPECT_EQ(st.response, R::kNoted);
  EXPECT_EQ(st.response_status, S::kResponded);
  EXPECT_EQ(st.response_date, std::nullopt);
  EXPECT_EQ(st.last_progress, std::nullopt);
}

// ---- StateAt: updates ----

TEST(StateAtTest, UpdatesReplayInDateOrderWhateverTheirOrderGiven) {
  Assignment a;
  std::vector<Update> ups;
  ups.push_back(MakeUpdate(1, "2024-05-01"));
  ups.back().implementation = I::kImplemented;
  ups.back().narrative = "done";
  ups.push_back(MakeUpdate(2, "2024-03-01"));
  ups.back().implementation = I::kInProgress;
  ups.back().narrative = "started";
  ups.push_back(MakeUpdate(3, "2024-04-01"));
  ups.back().implementation = I::kPartiallyImplemented;

  auto st = At(a, std::nullopt, ups, "2024-06-01");
  EXPECT_EQ(st.implementation, I::kImplemented);
  EXPECT_EQ(st.latest_narrative, "done");
  EXPECT_EQ(st.last_progress, D("2024-05-01"));

  auto mid = At(a, std::nullopt, ups, "2024-04-15");
  EXPECT_EQ(mid.implementation, I::kPartiallyImplemented);
  EXPECT_EQ(mid.latest_narrative, "started");  // update 3 has no narrative
  EXPECT_EQ(mid.last_progress, D("2024-04-01"));
}

TEST(StateAtTest, SameDayUpdatesReplayInIdOrder) {
  Assignment a;
  std::vector<Update> ups;
  ups.push_back(MakeUpdate(9, "2024-03-01"));
  ups.back().implementation = I::kImplemented;
  ups.back().narrative = "second";
  ups.push_back(MakeUpdate(4, "2024-03-01"));
  ups.back().implementation = I::kInProgress;
  ups.back().narrative = "first";
  auto st = At(a, std::nullopt, ups, "2024-03-01");
  EXPECT_EQ(st.implementation, I::kImplemented);
  EXPECT_EQ(st.latest_narrative, "second");

  std::swap(ups[0], ups[1]);
  st = At(a, std::nullopt, ups, "2024-03-01");
  EXPECT_EQ(st.implementation, I::kImplemented);
  EXPECT_EQ(st.latest_narrative, "second");
}

TEST(StateAtTest, OnlyValidatedUpdatesCount) {
  Assignment a;
  std::vector<Update> ups;
  ups.push_back(MakeUpdate(1, "2024-03-01"));
  ups.back().implementation = I::kInProgress;
  ups.back().narrative = "validated";
  ups.push_back(MakeUpdate(2, "2024-03-05"));
  ups.back().implementation = I::kImplemented;
  ups.back().response = R::kAccepted;
  ups.back().narrative = "submitted, not yet checked";
  ups.back().state = UpdateState::kSubmitted;
  ups.push_back(MakeUpdate(3, "2024-03-06"));
  ups.back().implementation = I::kSuperseded;
  ups.back().response_status = S::kResponded;
  ups.back().narrative = "returned";
  ups.back().state = UpdateState::kReturned;

  auto st = At(a, D("2024-02-01"), ups, "2024-04-01");
  EXPECT_EQ(st.implementation, I::kInProgress);
  EXPECT_EQ(st.response, R::kNone);
  EXPECT_EQ(st.response_status, S::kOverdue);
  EXPECT_EQ(st.latest_narrative, "validated");
  EXPECT_EQ(st.last_progress, D("2024-03-01"));
}

TEST(StateAtTest, UpdatesAfterAsOfAreIgnored) {
  Assignment a;
  a.initial.implementation = I::kNotStarted;
  std::vector<Update> ups;
  ups.push_back(MakeUpdate(1, "2024-03-02"));
  ups.back().implementation = I::kImplemented;
  ups.back().response = R::kAccepted;
  ups.back().narrative = "later";
  auto st = At(a, D("2024-02-26"), ups, "2024-03-01");
  EXPECT_EQ(st.implementation, I::kNotStarted);
  EXPECT_EQ(st.response, R::kNone);
  EXPECT_EQ(st.response_status, S::kOverdue);
  EXPECT_EQ(st.latest_narrative, "");
  EXPECT_EQ(st.last_progress, std::nullopt);
  // On its own date it counts.
  st = At(a, D("2024-02-26"), ups, "2024-03-02");
  EXPECT_EQ(st.implementation, I::kImplemented);
  EXPECT_EQ(st.response_status, S::kResponded);
}

TEST(StateAtTest, UpdateResponseIsDatedByTheUpdate) {
  Assignment a;
  a.initial.response = R::kUnderConsideration;
  a.initial.response_date = D("2024-01-10");
  std::vector<Update> ups;
  ups.push_back(MakeUpdate(1, "2024-03-01"));
  ups.back().response = R::kAcceptedInPrinciple;
  auto st = At(a, D("2024-02-26"), ups, "2024-04-01");
  EXPECT_EQ(st.response, R::kAcceptedInPrinciple);
  EXPECT_EQ(st.response_date, D("2024-03-01"));
  EXPECT_EQ(st.response_status, S::kResponded);
  // Before the update the imported response stands.
  st = At(a, D("2024-02-26"), ups, "2024-02-01");
  EXPECT_EQ(st.response, R::kUnderConsideration);
  EXPECT_EQ(st.response_date, D("2024-01-10"));
}

TEST(StateAtTest, UpdateResponseStatusReplacesTheRecordedOne) {
  Assignment a;
  a.initial.recorded_status = S::kOverdue;
  std::vector<Update> ups;
  ups.push_back(MakeUpdate(1, "2024-03-01"));
  ups.back().response_status = S::kResponded;
  EXPECT_EQ(At(a, std::nullopt, ups, "2024-02-01").response_status, S::kOverdue);
  EXPECT_EQ(At(a, std::nullopt, ups, "2024-03-01").response_status, S::kResponded);
  ups.push_back(MakeUpdate(2, "2024-04-01"));
  ups.back().response_status = S::kPartial;
  EXPECT_EQ(At(a, std::nullopt, ups, "2024-04-01").response_status, S::kPartial);
}

TEST(StateAtTest, UpdateWithoutChangesStillCountsAsProgress) {
  Assignment a;
  a.initial.implementation = I::kInProgress;
  std::vector<Update> ups;
  ups.push_back(MakeUpdate(1, "2024-03-01"));
  ups.back().narrative = "Working group met.";
  ups.push_back(MakeUpdate(2, "2024-04-01"));
  ups.back().evidence = {"https://example.org/minutes"};
  auto st = At(a, std::nullopt, ups, "2024-05-01");
  EXPECT_EQ(st.implementation, I::kInProgress);
  EXPECT_EQ(st.latest_narrative, "Working group met.");
  EXPECT_EQ(st.last_progress, D("2024-04-01"));
}

TEST(StateAtTest, LastProgressIsTheLatestOfResponseAndUpdates) {
  Assignment a;
  a.initial.response = R::kAccepted;
  a.initial.response_date = D("2024-03-10");
  std::vector<Update> ups;
  ups.push_back(MakeUpdate(1, "2024-02-01"));
  ups.back().narrative = "early note";
  EXPECT_EQ(At(a, std::nullopt, ups, "2024-02-15").last_progress, D("2024-02-01"));
  EXPECT_EQ(At(a, std::nullopt, ups, "2024-04-01").last_progress, D("2024-03-10"));
  ups.push_back(MakeUpdate(2, "2024-03-20"));
  EXPECT_EQ(At(a, std::nullopt, ups, "2024-04-01").last_progress, D("2024-03-20"));
}

TEST(StateAtTest, ResultDoesNotDependOnInputOrder) {
  Assignment a;
  a.initial.recorded_status = S::kPending;
  std::vector<Update> ups;
  const char* dates[] = {"2024-01-05", "2024-02-10", "2024-02-10", "2024-03-15", "2024-04-01"};
  const I impls[] = {I::kNotStarted, I::kInProgress, I::kPartiallyImplemented, I::kInProgress,
                     I::kImplemented};
  for (int i = 0; i < 5; ++i) {
    ups.push_back(MakeUpdate(i + 1, dates[i]));
    ups.back().implementation = impls[i];
    ups.back().narrative = "n" + std::to_string(i + 1);
  }
  for (const char* as_of : {"2024-01-01", "2024-02-10", "2024-03-31", "2024-05-01"}) {
    auto want = At(a, D("2024-02-01"), ups, as_of);
    std::vector<Update> rev(ups.rbegin(), ups.rend());
    EXPECT_EQ(At(a, D("2024-02-01"), rev, as_of), want) << as_of;
  }
  EXPECT_EQ(At(a, std::nullopt, ups, "2024-02-10").implementation, I::kPartiallyImplemented);
  EXPECT_EQ(At(a, std::nullopt, ups, "2024-02-10").latest_narrative, "n3");
}

// ---- roll-ups ----

ResponseStatus Rs(std::vector<S> v) { return RollUpResponse(v); }
Implementation Ri(std::vector<I> v) { return RollUpImplementation(v); }

TEST(RollUpResponseTest, AllRespondedIsResponded) {
  EXPECT_EQ(Rs({S::kResponded}), S::kResponded);
  EXPECT_EQ(Rs({S::kResponded, S::kResponded, S::kResponded}), S::kResponded);
}

TEST(RollUpResponseTest, SomeRespondedIsPartial) {
  EXPECT_EQ(Rs({S::kResponded, S::kPending}), S::kPartial);
  EXPECT_EQ(Rs({S::kOverdue, S::kResponded}), S::kPartial);
  EXPECT_EQ(Rs({S::kPending, S::kOverdue, S::kResponded}), S::kPartial);
}

TEST(RollUpResponseTest, AnyPartialIsPartial) {
  EXPECT_EQ(Rs({S::kPartial}), S::kPartial);
  EXPECT_EQ(Rs({S::kPartial, S::kPending}), S::kPartial);
  EXPECT_EQ(Rs({S::kOverdue, S::kPartial}), S::kPartial);
  EXPECT_EQ(Rs({S::kResponded, S::kPartial}), S::kPartial);
}

TEST(RollUpResponseTest, NoneRespondedAndPastDueIsOverdue) {
  EXPECT_EQ(Rs({S::kOverdue}), S::kOverdue);
  EXPECT_EQ(Rs({S::kPending, S::kOverdue}), S::kOverdue);
  EXPECT_EQ(Rs({S::kOverdue, S::kOverdue}), S::kOverdue);
}

TEST(RollUpResponseTest, NoneRespondedAndNotYetDueIsPending) {
  EXPECT_EQ(Rs({S::kPending}), S::kPending);
  EXPECT_EQ(Rs({S::kPending, S::kPending}), S::kPending);
  EXPECT_EQ(Rs({}), S::kPending);
}

TEST(RollUpImplementationTest, AllEqualIsThatValue) {
  for (auto i : kAllImplementations) {
    EXPECT_EQ(Ri({i}), i) << Name(i);
    EXPECT_EQ(Ri({i, i, i}), i) << Name(i);
  }
  EXPECT_EQ(Ri({}), I::kNotStarted);
}

TEST(RollUpImplementationTest, AnyImplementedIsPartiallyImplemented) {
  EXPECT_EQ(Ri({I::kImplemented, I::kNotStarted}), I::kPartiallyImplemented);
  EXPECT_EQ(Ri({I::kInProgress, I::kImplemented}), I::kPartiallyImplemented);
  EXPECT_EQ(Ri({I::kImplemented, I::kNotImplemented}), I::kPartiallyImplemented);
  EXPECT_EQ(Ri({I::kImplemented, I::kUnknown}), I::kPartiallyImplemented);
  EXPECT_EQ(Ri({I::kPartiallyImplemented, I::kNotStarted}), I::kPartiallyImplemented);
  EXPECT_EQ(Ri({I::kPartiallyImplemented, I::kInProgress}), I::kPartiallyImplemented);
  EXPECT_EQ(Ri({I::kPartiallyImplemented, I::kImplemented}), I::kPartiallyImplemented);
}

TEST(RollUpImplementationTest, ImplementedAndSupersededIsImplemented) {
  // A superseded part needs no more work, so the whole is done.
  EXPECT_EQ(Ri({I::kImplemented, I::kSuperseded}), I::kImplemented);
  EXPECT_EQ(Ri({I::kSuperseded, I::kImplemented, I::kImplemented}), I::kImplemented);
  EXPECT_EQ(Ri({I::kSuperseded, I::kSuperseded}), I::kSuperseded);
  EXPECT_EQ(Ri({I::kSuperseded, I::kNotImplemented}), I::kNotImplemented);
}

TEST(RollUpImplementationTest, ThenInProgress) {
  EXPECT_EQ(Ri({I::kInProgress, I::kNotStarted}), I::kInProgress);
  EXPECT_EQ(Ri({I::kNotImplemented, I::kInProgress}), I::kInProgress);
  EXPECT_EQ(Ri({I::kInProgress, I::kSuperseded, I::kUnknown}), I::kInProgress);
}

TEST(RollUpImplementationTest, ThenNotStarted) {
  EXPECT_EQ(Ri({I::kNotStarted, I::kNotImplemented}), I::kNotStarted);
  EXPECT_EQ(Ri({I::kUnknown, I::kNotStarted}), I::kNotStarted);
  EXPECT_EQ(Ri({I::kSuperseded, I::kNotStarted}), I::kNotStarted);
}

TEST(RollUpImplementationTest, ThenUnknownThenNotImplemented) {
  EXPECT_EQ(Ri({I::kUnknown, I::kNotImplemented}), I::kUnknown);
  EXPECT_EQ(Ri({I::kSuperseded, I::kUnknown}), I::kUnknown);
  EXPECT_EQ(Ri({I::kSuperseded, I::kNotImplemented}), I::kNotImplemented);
}

TEST(RollUpImplementationTest, OrderDoesNotMatter) {
  std::vector<I> all(std::begin(kAllImplementations), std::end(kAllImplementations));
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = 0; j < all.size(); ++j)
      EXPECT_EQ(Ri({all[i], all[j]}), Ri({all[j], all[i]})) << Name(all[i]) << Name(all[j]);
}

TEST(StatusTest, IsOutstanding) {
  EXPECT_FALSE(IsOutstanding(I::kImplemented));
  EXPECT_FALSE(IsOutstanding(I::kSuperseded));
  EXPECT_TRUE(IsOutstanding(I::kNotStarted));
  EXPECT_TRUE(IsOutstanding(I::kInProgress));
  EXPECT_TRUE(IsOutstanding(I::kPartiallyImplemented));
  EXPECT_TRUE(IsOutstanding(I::kNotImplemented));
  EXPECT_TRUE(IsOutstanding(I::kUnknown));
}

TEST(StatusTest, EffectiveTargetPrefersTheAssignmentsOwn) {
  Recommendation r;
  Assignment a;
  EXPECT_FALSE(EffectiveTarget(r, a));
  r.target = D("2018-03-31");
  EXPECT_EQ(EffectiveTarget(r, a), D("2018-03-31"));
  a.target = D("2019-01-01");
  EXPECT_EQ(EffectiveTarget(r, a), D("2019-01-01"));
}

TEST(StatusTest, DaysPastTargetCountsFromTheDayAfter) {
  const auto t = D("2018-03-31");
  EXPECT_FALSE(DaysPastTarget(Implementation::kInProgress, std::nullopt, D("2020-01-01")));
  EXPECT_FALSE(DaysPastTarget(Implementation::kInProgress, t, t));
  EXPECT_EQ(DaysPastTarget(Implementation::kInProgress, t, D("2018-04-01")), 1);
  EXPECT_EQ(DaysPastTarget(Implementation::kNotStarted, t, D("2019-03-31")), 365);
  EXPECT_EQ(DaysPastTarget(Implementation::kPartiallyImplemented, t, D("2018-04-10")), 10);
  EXPECT_EQ(DaysPastTarget(Implementation::kUnknown, t, D("2018-04-10")), 10);
  // Done, superseded or declined: nothing is late.
  for (auto i : {Implementation::kImplemented, Implementation::kSuperseded,
                 Implementation::kNotImplemented})
    EXPECT_FALSE(DaysPastTarget(i, t, D("2020-01-01"))) << Name(i);
}

TEST(StatusTest, UpdateStateNames) {
  for (auto s : {UpdateState::kSubmitted, UpdateState::kValidated, UpdateState::kReturned}) {
    auto p = ParseUpdateState(Name(s));
    ASSERT_TRUE(p.has_value()) << Name(s);
    EXPECT_EQ(*p, s);
  }
  EXPECT_EQ(Name(UpdateState::kReturned), "returned");
  auto bad = ParseUpdateState("approved");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("'approved'"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace rectrack
