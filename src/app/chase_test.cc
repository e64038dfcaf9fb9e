// Contacts, chase schedules, what is due to be chased and the outbox's states,
// on a real store (SQLite file, or PostgreSQL as NAME/pg), each change checked
// against the ledger by `verify`.
#include "app/chase.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "app/auth.h"
#include "app/views.h"
#include "fmt/format.h"
#include "store/verify.h"
#include "testing/test_store.h"

namespace rectrack {
namespace {

Date D(std::string_view iso) { return *Date::ParseIso(iso); }
const Actor kActor{"cli:test"};

ImportBatch::RecommendationIn Rec(std::string ref, std::vector<std::string> owners,
                                  std::optional<Date> target = std::nullopt) {
  ImportBatch::RecommendationIn r;
  r.recommendation.ref = std::move(ref);
  r.recommendation.text = "Do the thing " + r.recommendation.ref;
  r.recommendation.made = D("2026-01-01");
  r.recommendation.target = target;
  for (auto& o : owners) {
    ImportBatch::AssignmentIn a;
    a.owner = std::move(o);
    r.assignments.push_back(std::move(a));
  }
  return r;
}

// A PFD-like source whose responses are due 56 days after 2026-01-01, that is
// on 2026-02-26; a review without a duty whose R1 has an implementation target.
ImportBatch Batch() {
  ImportBatch b;
  ImportBatch::SourceIn pfd;
  pfd.source.slug = "pfd-2026-0001";
  pfd.source.kind = "pfd";
  pfd.source.title = "Prevention of future deaths report: A";
  pfd.source.date = D("2026-01-01");
  pfd.source.response_days = 56;
  pfd.source.vocabulary = "canonical";
  pfd.recommendations = {Rec("2026-0001", {"Home Office", "NHS England"})};
  ImportBatch::SourceIn review;
  review.source.slug = "review-2026";
  review.source.kind = "review";
  review.source.title = "A review";
  review.source.date = D("2026-01-01");
  review.source.vocabulary = "canonical";
  review.recommendations = {Rec("R1", {"Home Office"}, D("2026-03-31")),
                            Rec("R2", {"Home Office"})};
  b.sources = {pfd, review};
  return b;
}

class ChaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing_util::OpenTestStore(dir_.File("t.db"));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    auto r = store_->Import(Batch(), kActor, "test");
    ASSERT_TRUE(r) << r.error().message;
  }
  void ExpectVerified() {
    auto v = store_->Verify();
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(v->ok) << (v->problems.empty() ? "" : v->problems[0]);
  }
  // A renderer that stands in for mail/: the subject says whom and what.
  static MessageRenderer Render() {
    return [](int64_t id, const MessageFor& w) -> Result<RenderedMessage> {
      RenderedMessage m;
      m.subject = w.digest ? "digest" : fmt::format("{} {}", w.owner->owner.name, w.owner->items.size());
      m.message_id = fmt::format("<{}@test>", id);
      m.message = "body of " + m.subject;
      return m;
    };
  }
  std::set<std::string> Stages(const ChasePlan& plan, const std::string& owner) {
    std::set<std::string> out;
    for (const auto& oc : plan.owners)
      if (oc.owner.name == owner)
        for (const auto& it : oc.items) out.insert(fmt::format("{} {}", it.ref, it.stage));
    return out;
  }

  testing_util::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ChaseTest, ContactsAreAddedListedRemovedAndChecked) {
  auto c = AddContact(*store_, "Home Office", "pfd@homeoffice.example.gov.uk", "Ann Lee",
                      "PFD responses", kActor);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->owner, "Home Office");
  EXPECT_EQ(c->unsubscribe_token.size(), 32u);
  // The same address again (in any case) is a conflict; a bad one or an
  // unknown owner is refused with a reason.
  auto again = AddContact(*store_, "Home Office", "PFD@homeoffice.example.gov.uk", "", "", kActor);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Error::Code::kConflict);
  for (const char* bad : {"", "no-at-sign", "a@", "@b.org", "a b@c.org", "a@b..org",
                          "<a@b.org>", "a@b.org\r\nBcc: x@y.org"})
    EXPECT_FALSE(AddContact(*store_, "Home Office", bad, "", "", kActor)) << bad;
  auto injected = AddContact(*store_, "Home Office", "x@y.org", "Ann\r\nBcc: z@z.org", "", kActor);
  ASSERT_FALSE(injected);
  EXPECT_NE(injected.error().message.find("control character"), std::string::npos);
  auto unknown = AddContact(*store_, "Home Ofice", "x@y.org", "", "", kActor);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("did you mean 'Home Office'"), std::string::npos)
      << unknown.error().message;

  ASSERT_TRUE(AddContact(*store_, "NHS England", "england.pfd@nhs.example", "", "", kActor));
  auto all = ListContacts(*store_, "");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].owner, "Home Office");
  EXPECT_EQ((*all)[1].owner, "NHS England");
  ASSERT_TRUE(RemoveContact(*store_, "NHS England", "ENGLAND.pfd@nhs.example", kActor));
  EXPECT_EQ(ListContacts(*store_, "")->size(), 1u);
  EXPECT_FALSE(RemoveContact(*store_, "NHS England", "england.pfd@nhs.example", kActor));
  ExpectVerified();
}

TEST_F(ChaseTest, UnsubscribingNeedsTheContactsOwnToken) {
  auto c = AddContact(*store_, "Home Office", "a@ho.example", "", "", kActor);
  ASSERT_TRUE(c);
  auto wrong = UnsubscribeContact(*store_, c->id, std::string(32, '0'));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Error::Code::kNotFound);
  EXPECT_FALSE(UnsubscribeContact(*store_, c->id, "short"));
  EXPECT_FALSE(UnsubscribeContact(*store_, c->id + 1, c->unsubscribe_token));
  auto first = UnsubscribeContact(*store_, c->id, c->unsubscribe_token);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = UnsubscribeContact(*store_, c->id, c->unsubscribe_token);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);  // already gone: no second event
  EXPECT_FALSE(GetContact(*store_, c->id)->unsubscribed_at.empty());
  // The ledger says who did it.
  bool found = false;
  ASSERT_TRUE(store_->ForEachEvent([&](const LedgerEvent& e) {
    if (e.kind == "contact_unsubscribe") {
      EXPECT_EQ(e.actor, fmt::format("contact:{}", c->id));
      found = true;
    }
    return true;
  }));
  EXPECT_TRUE(found);
  ExpectVerified();
}

TEST_F(ChaseTest, StagesFollowTheScheduleAndAreChasedOnce) {
  ASSERT_TRUE(AddContact(*store_, "Home Office", "a@ho.example", "", "", kActor));
  // 2026-02-20: the PFD response is due in 6 days (the 7-day reminder).
  auto plan = PlanChase(*store_, D("2026-02-20"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(Stages(*plan, "Home Office"), (std::set<std::string>{"2026-0001 due-7"}));
  // NHS England has something due but no contact.
  EXPECT_EQ(plan->without_contacts, std::vector<std::string>{"NHS England"});
  EXPECT_EQ(plan->items_without_contacts, 1);

  auto run = QueueChase(*store_, D("2026-02-20"), Render(), kActor);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->ids.size(), 1u);
  // The same day again: nothing new.
  auto again = QueueChase(*store_, D("2026-02-21"), Render(), kActor);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->ids.empty());
  // The day before it is due: the 1-day reminder.
  EXPECT_EQ(Stages(*PlanChase(*store_, D("2026-02-25")), "Home Office"),
            (std::set<std::string>{"2026-0001 due-1"}));
  // Overdue, then weekly; the review's R1 target (31 March) passed in April.
  EXPECT_EQ(Stages(*PlanChase(*store_, D("2026-02-27")), "Home Office"),
            (std::set<std::string>{"2026-0001 overdue-0"}));
  EXPECT_EQ(Stages(*PlanChase(*store_, D("2026-04-02")), "Home Office"),
            (std::set<std::string>{"2026-0001 overdue-4", "R1 target-2026-03-31-0"}));

  // A response recorded ends its chasing.
  Update u;
  u.date = D("2026-02-24");
  u.response = ResponseKind::kAccepted;
  u.response_text = "We accept.";
  auto a = store_->GetRecommendation("pfd-2026-0001", "2026-0001");
  ASSERT_TRUE(a);
  int64_t ho_assignment = 0;
  for (const auto& av : a->assignments)
    if (av.owner.name == "Home Office") ho_assignment = av.assignment.id;
  ASSERT_TRUE(store_->AddUpdate(ho_assignment, u, kActor));
  EXPECT_TRUE(Stages(*PlanChase(*store_, D("2026-03-10")), "Home Office").empty());
  ExpectVerified();
}

TEST_F(ChaseTest, SchedulesArePerSourceKind) {
  ASSERT_TRUE(AddContact(*store_, "Home Office", "a@ho.example", "", "", kActor));
  ChaseSchedule quiet;
  quiet.before = {};
  quiet.enabled = true;
  ASSERT_TRUE(SetChaseSchedule(*store_, "pfd", quiet, kActor));
  EXPECT_TRUE(Stages(*PlanChase(*store_, D("2026-02-20")), "Home Office").empty());
  ChaseSchedule off;
  off.enabled = false;
  ASSERT_TRUE(SetChaseSchedule(*store_, "review", off, kActor));
  EXPECT_EQ(Stages(*PlanChase(*store_, D("2026-04-02")), "Home Office"),
            (std::set<std::string>{"2026-0001 overdue-4"}));
  auto unknown = SetChaseSchedule(*store_, "pdf", quiet, kActor);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("did you mean 'pfd'"), std::string::npos)
      << unknown.error().message;
  auto loaded = LoadChaseSchedules(*store_);
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded->at("pfd").before.empty());
  EXPECT_FALSE(loaded->at("review").enabled);
  ExpectVerified();
}

TEST_F(ChaseTest, ReturnedUpdatesAreChasedUntilAnswered) {
  ASSERT_TRUE(AddContact(*store_, "Home Office", "a@ho.example", "", "", kActor));
  auto rec = store_->GetRecommendation("review-2026", "R2");
  ASSERT_TRUE(rec);
  const auto& av = rec->assignments[0];
  Update u;
  u.date = D("2026-02-01");
  u.narrative = "Work has begun.";
  u.state = UpdateState::kSubmitted;
  auto before = store_->GetAssignment(av.assignment.id);
  ASSERT_TRUE(before);
  auto id = store_->SubmitUpdate(av.assignment.id, u, before->version, kActor);
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(store_->ReturnUpdate(*id, "Give the evidence", kActor));
  auto plan = PlanChase(*store_, D("2026-02-02"));
  ASSERT_TRUE(plan);
  bool returned = false;
  for (const auto& oc : plan->owners)
    for (const auto& it : oc.items)
      if (it.reason == ChaseReason::kUpdateReturned) {
        returned = true;
        EXPECT_EQ(it.return_reason, "Give the evidence");
        EXPECT_EQ(it.stage, fmt::format("returned-{}", *id));
      }
  EXPECT_TRUE(returned);
  // Answered by a new submission: no longer chased.
  auto ref = store_->GetAssignment(av.assignment.id);
  ASSERT_TRUE(ref);
  u.narrative = "Work has begun; evidence attached.";
  ASSERT_TRUE(store_->SubmitUpdate(av.assignment.id, u, ref->version, kActor));
  EXPECT_TRUE(Stages(*PlanChase(*store_, D("2026-02-02")), "Home Office").empty());
}

TEST_F(ChaseTest, TheOutboxSendsEachMessageOnceAndRecordsEveryStep) {
  auto c = AddContact(*store_, "Home Office", "a@ho.example", "", "", kActor);
  ASSERT_TRUE(c);
  ASSERT_TRUE(AddContact(*store_, "NHS England", "b@nhs.example", "", "", kActor));
  auto run = QueueChase(*store_, D("2026-03-01"), Render(), kActor);
  ASSERT_TRUE(run);
  ASSERT_EQ(run->ids.size(), 2u);
  const int64_t now = 1'800'000'000'000;
  const std::string me = fmt::format("testhost pid {}", getpid());

  // The first: sent.
  auto m1 = ClaimNextMessage(*store_, now, me, false, kActor);
  ASSERT_TRUE(m1 && *m1);
  EXPECT_EQ((*m1)->state, "sending");
  EXPECT_EQ((*m1)->attempts, 1);
  ASSERT_TRUE(MarkSent(*store_, **m1, now, kActor));
  EXPECT_EQ(GetOutboxMessage(*store_, (*m1)->id)->state, "sent");
  // The second: a temporary failure, retried after its backoff only.
  auto m2 = ClaimNextMessage(*store_, now, me, false, kActor);
  ASSERT_TRUE(m2 && *m2);
  auto failed = MarkFailed(*store_, **m2, "451 try later", false, now, kActor);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, "failed");
  EXPECT_FALSE(*ClaimNextMessage(*store_, now + 1000, me, false, kActor));
  auto retry = ClaimNextMessage(*store_, now + RetryDelayMs(1) + 1, me, false, kActor);
  ASSERT_TRUE(retry && *retry);
  EXPECT_EQ((*retry)->attempts, 2);
  // Refused for good: given up at once.
  auto gone = MarkFailed(*store_, **retry, "550 no such mailbox", true, now, kActor);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->state, "abandoned");
  EXPECT_FALSE(*ClaimNextMessage(*store_, now + 86400000, me, true, kActor));
  // A sent message is never sent again; an abandoned one may be, when asked.
  EXPECT_FALSE(ResendMessage(*store_, (*m1)->id, kActor));
  ASSERT_TRUE(ResendMessage(*store_, (*retry)->id, kActor));
  EXPECT_EQ(GetOutboxMessage(*store_, (*retry)->id)->state, "queued");

  // The chaser sent is in the ledger: whom, for what.
  int sent_events = 0;
  ASSERT_TRUE(store_->ForEachEvent([&](const LedgerEvent& e) {
    if (e.kind == "chase_sent") {
      ++sent_events;
      EXPECT_NE(e.payload.find("a@ho.example"), std::string::npos);
      EXPECT_NE(e.payload.find("overdue-0"), std::string::npos);
    }
    return true;
  }));
  EXPECT_EQ(sent_events, 1);
  auto counts = ChaseCounts(*store_, {run->plan.owners[0].items[0].assignment_id});
  ASSERT_TRUE(counts);
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ(counts->begin()->second.sent, 1);
  // The public non-response list says so.
  auto list = NonResponsesDoc(*store_, D("2026-03-01"), "pfd");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ((*list)["items"].size(), 2u);
  for (const auto& i : (*list)["items"]) {
    bool home_office = i["owner"] == "Home Office";
    EXPECT_EQ(i["chasers_sent"].get<int>(), home_office ? 1 : 0) << i.dump();
    EXPECT_EQ(i["days_overdue"].get<int>(), 3);
    if (home_office) {
      EXPECT_EQ(i["last_chased"], UtcTimestamp(now).substr(0, 10));
    }
  }
  ExpectVerified();
}

TEST_F(ChaseTest, AMessageLeftSendingByAStoppedSenderIsUncertainNotResent) {
  ASSERT_TRUE(AddContact(*store_, "Home Office", "a@ho.example", "", "", kActor));
  auto run = QueueChase(*store_, D("2026-03-01"), Render(), kActor);
  ASSERT_TRUE(run && run->ids.size() == 1);
  const int64_t now = 1'800'000'000'000;
  // A process of this host that is gone (pid 0 is never a process of ours)
  // claimed it and stopped.
  auto m = ClaimNextMessage(*store_, now, "thishost pid 999999999", false, kActor);
  ASSERT_TRUE(m && *m);
  // Another host's claim within its lease is left alone.
  auto others = MarkStaleSends(*store_, now + 1000, "otherhost", kActor);
  ASSERT_TRUE(others);
  EXPECT_TRUE(others->empty());
  auto stale = MarkStaleSends(*store_, now + 1000, "thishost", kActor);
  ASSERT_TRUE(stale);
  ASSERT_EQ(stale->size(), 1u);
  auto u = GetOutboxMessage(*store_, (*m)->id);
  EXPECT_EQ(u->state, "uncertain");
  EXPECT_FALSE(*ClaimNextMessage(*store_, now + 2000, "thishost pid 1", true, kActor));
  ExpectVerified();
}

TEST_F(ChaseTest, AContactWhoUnsubscribesBeforeTheSendIsNotSent) {
  auto c = AddContact(*store_, "Home Office", "a@ho.example", "", "", kActor);
  ASSERT_TRUE(c);
  ASSERT_TRUE(QueueChase(*store_, D("2026-03-01"), Render(), kActor));
  ASSERT_TRUE(UnsubscribeContact(*store_, c->id, c->unsubscribe_token));
  auto m = ClaimNextMessage(*store_, 1'800'000'000'000, "h pid 1", false, kActor);
  ASSERT_TRUE(m);
  EXPECT_FALSE(*m);
  auto all = ListOutbox(*store_, "cancelled", 0);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_NE((*all)[0].last_error.find("unsubscribed"), std::string::npos);
}

TEST_F(ChaseTest, CoordinatorsGetOneDigestAWeek) {
  auto hash = auth::HashPassword("a long enough password", auth::PasswordCost::kMinimal);
  ASSERT_TRUE(hash);
  NewUser nu{"carol", "coordinator", *hash, {}};
  ASSERT_TRUE(store_->AddUser(nu, kActor));
  NewUser ed{"eddie", "editor", *hash, {"Home Office"}};
  ASSERT_TRUE(store_->AddUser(ed, kActor));
  ASSERT_TRUE(SetUserEmail(*store_, "carol", "carol@office.example", kActor));
  ASSERT_TRUE(SetUserEmail(*store_, "eddie", "eddie@ho.example", kActor));
  EXPECT_FALSE(SetUserEmail(*store_, "carol", "not an address", kActor));
  auto plan = PlanChase(*store_, D("2026-03-04"));  // a Wednesday
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->digests.size(), 1u);  // editors get none
  const Digest& d = plan->digests[0];
  EXPECT_EQ(d.user.name, "carol");
  EXPECT_EQ(d.week, D("2026-03-02"));
  EXPECT_EQ(d.overdue.size(), 2u);  // Home Office and NHS England on the PFD report
  EXPECT_EQ(d.overdue_owners, 2);
  ASSERT_TRUE(QueueChase(*store_, D("2026-03-04"), Render(), kActor));
  EXPECT_TRUE(PlanChase(*store_, D("2026-03-08"))->digests.empty());  // Sunday, same week
  EXPECT_EQ(PlanChase(*store_, D("2026-03-09"))->digests.size(), 1u);  // next Monday
  ASSERT_TRUE(SetUserEmail(*store_, "carol", "", kActor));
  EXPECT_TRUE(PlanChase(*store_, D("2026-03-09"))->digests.empty());
  ExpectVerified();
}

TEST_F(ChaseTest, AMergeMovesContactsToTheOwnerKept) {
  ASSERT_TRUE(AddContact(*store_, "NHS England", "same@nhs.example", "", "", kActor));
  ASSERT_TRUE(AddContact(*store_, "NHS England", "only@nhs.example", "", "", kActor));
  ImportBatch b;
  ImportBatch::SourceIn s;
  s.source.slug = "other";
  s.source.kind = "review";
  s.source.title = "Other";
  s.source.vocabulary = "canonical";
  s.recommendations = {Rec("X1", {"NHS E"})};
  b.sources = {s};
  ASSERT_TRUE(store_->Import(b, kActor, "test"));
  ASSERT_TRUE(AddContact(*store_, "NHS E", "same@nhs.example", "", "", kActor));
  ASSERT_TRUE(store_->SetAlias("NHS E", "NHS England", kActor));
  auto cs = ListContacts(*store_, "NHS England");
  ASSERT_TRUE(cs);
  ASSERT_EQ(cs->size(), 2u);  // the shared address once
  ExpectVerified();
}

}  // namespace
}  // namespace rectrack
