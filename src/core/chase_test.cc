#include "core/chase.h"

#include <gtest/gtest.h>

namespace rectrack {
namespace {

Date D(const char* s) { return *Date::ParseIso(s); }

TEST(ChaseTest, RemindersBeforeTheDueDateAreTheSmallestNotEarlierThanTheDaysLeft) {
  ChaseSchedule s;  // 14, 7, 1
  Date due = D("2026-03-31");
  EXPECT_FALSE(ResponseStage(s, due, D("2026-03-16")));  // 15 days left
  EXPECT_EQ(ResponseStage(s, due, D("2026-03-17"))->stage, "due-14");
  EXPECT_EQ(ResponseStage(s, due, D("2026-03-23"))->stage, "due-14");  // 8 left
  auto seven = ResponseStage(s, due, D("2026-03-26"));  // 5 left: the 7-day one
  EXPECT_EQ(seven->stage, "due-7");
  EXPECT_EQ(seven->days, 5);
  EXPECT_EQ(seven->reason, ChaseReason::kResponseDue);
  EXPECT_EQ(ResponseStage(s, due, D("2026-03-30"))->stage, "due-1");
  EXPECT_EQ(ResponseStage(s, due, D("2026-03-31"))->stage, "due-1");  // due today
}

TEST(ChaseTest, AnOverdueResponseIsChasedOncePerPeriod) {
  ChaseSchedule s;
  Date due = D("2026-03-31");
  auto first = ResponseStage(s, due, D("2026-04-01"));
  EXPECT_EQ(first->reason, ChaseReason::kResponseOverdue);
  EXPECT_EQ(first->stage, "overdue-0");
  EXPECT_EQ(first->days, 1);
  EXPECT_EQ(ResponseStage(s, due, D("2026-04-07"))->stage, "overdue-0");  // 7 late
  EXPECT_EQ(ResponseStage(s, due, D("2026-04-08"))->stage, "overdue-1");  // 8 late
  s.overdue_every = 0;
  EXPECT_EQ(ResponseStage(s, due, D("2027-04-08"))->stage, "overdue-0");  // only the first
}

TEST(ChaseTest, AScheduleWithoutRemindersWaitsForTheDueDate) {
  ChaseSchedule s;
  s.before = {};
  EXPECT_FALSE(ResponseStage(s, D("2026-03-31"), D("2026-03-31")));
  EXPECT_TRUE(ResponseStage(s, D("2026-03-31"), D("2026-04-01")));
}

TEST(ChaseTest, APassedTargetIsChasedEveryTargetPeriod) {
  ChaseSchedule s;
  s.target_every = 30;
  Date t = D("2026-01-01");
  EXPECT_FALSE(TargetStage(s, t, t));
  EXPECT_EQ(TargetStage(s, t, D("2026-01-02"))->stage, "target-" + t.ToIso() + "-0");
  EXPECT_EQ(TargetStage(s, t, D("2026-01-31"))->stage, "target-" + t.ToIso() + "-0");
  EXPECT_EQ(TargetStage(s, t, D("2026-02-01"))->stage, "target-" + t.ToIso() + "-1");
}

TEST(ChaseTest, DayListsParseSortedAndRefuseNonsense) {
  EXPECT_EQ(*ParseDayList("1, 14,7"), (std::vector<int>{14, 7, 1}));
  EXPECT_EQ(FormatDayList(*ParseDayList("7,30")), "30,7");
  EXPECT_EQ(ParseIntervalDays("0"), 0);
  EXPECT_EQ(ParseIntervalDays("365"), 365);
  for (const char* bad : {"", "366", "-1", "+5", " 5", "1e2", "0x10", "1000"})
    EXPECT_FALSE(ParseIntervalDays(bad)) << bad;
  EXPECT_TRUE(ParseDayList("")->empty());
  EXPECT_FALSE(ParseDayList("7,7"));
  EXPECT_FALSE(ParseDayList("0"));
  EXPECT_FALSE(ParseDayList("-3"));
  EXPECT_FALSE(ParseDayList("seven"));
  EXPECT_FALSE(ParseDayList("366"));
}

}  // namespace
}  // namespace rectrack
