#pragma once
// Test-only: a small tracker on a real SQLite file (one source, two owners,
// three assignments) and a user of every role, for the account, workflow and
// signature tests of app/ and web/.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "app/auth.h"
#include "app/service.h"
#include "testing/test_store.h"
#include "store/store.h"

namespace rectrack::auth_testing {

inline Date D(std::string_view iso) {
  auto d = Date::ParseIso(iso);
  if (!d) throw std::runtime_error("bad test date");
  return *d;
}

inline constexpr char kOwnerA[] = "Highways Board";
inline constexpr char kOwnerB[] = "Rail Authority";
inline constexpr char kSource[] = "roads-2023";
inline constexpr char kPassword[] = "correct horse battery";

// roads-2023: R1 held by both owners, R2 by owner A only.
inline ImportBatch RoadsBatch() {
  ImportBatch b;
  ImportBatch::SourceIn s;
  s.source.slug = kSource;
  s.source.kind = "review";
  s.source.title = "Review of road safety";
  s.source.date = D("2023-01-10");
  s.source.vocabulary = "canonical";
  auto rec = [](std::string ref, std::string text, std::vector<std::string> owners) {
    ImportBatch::RecommendationIn r;
    r.recommendation.ref = std::move(ref);
    r.recommendation.text = std::move(text);
    r.recommendation.made = D("2023-01-10");
    for (auto& o : owners) {
      ImportBatch::AssignmentIn a;
      a.owner = o;
      a.assignment.due = D("2023-06-30");
      r.assignments.push_back(std::move(a));
    }
    return r;
  };
  s.recommendations.push_back(rec("R1", "Lower the speed limit near schools", {kOwnerA, kOwnerB}));
  s.recommendations.push_back(rec("R2", "Light every footbridge", {kOwnerA}));
  b.sources.push_back(std::move(s));
  return b;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A store file with the roads data and one user of each kind:
//   ada (admin), cora (coordinator), eddie (editor of owner A),
//   erin (editor of owner B), vera (viewer).
class Tracker {
 public:
  Tracker() : path_(dir_.File("tracker.db")) {
    auto s = testing_util::OpenTestStore(path_);
    if (!s) throw std::runtime_error(s.error().message);
    store_ = std::move(*s);
    const Actor loader{"test:loader"};
    auto imported = store_->Import(RoadsBatch(), loader, "roads.json");
    if (!imported) throw std::runtime_error(imported.error().message);
    AddUser("ada", "admin", {});
    AddUser("cora", "coordinator", {});
    AddUser("eddie", "editor", {kOwnerA});
    AddUser("erin", "editor", {kOwnerB});
    AddUser("vera", "viewer", {});
    // Assignment ids by (ref, owner).
    for (const char* ref : {"R1", "R2"}) {
      auto v = store_->GetRecommendation(kSource, ref);
      if (!v) throw std::runtime_error(v.error().message);
      rec_ids_[ref] = v->recommendation.id;
      for (const auto& av : v->assignments)
        assignment_ids_[std::string(ref) + "/" + av.owner.name] = av.assignment.id;
    }
  }

  void AddUser(const std::string& name, const std::string& role,
               const std::vector<std::string>& owners) {
    auto u = auth::CreateUser(*store_, name, role, owners, kPassword, Actor{"test:admin"},
                              auth::PasswordCost::kMinimal);
    if (!u) throw std::runtime_error(u.error().message);
  }

  Store& store() { return *store_; }
  const std::string& path() const { return path_; }
  const testing_util::TempDir& dir() const { return dir_; }
  int64_t Assignment(const std::string& ref, const std::string& owner) const {
    return assignment_ids_.at(ref + "/" + owner);
  }
  int64_t Recommendation(const std::string& ref) const { return rec_ids_.at(ref); }
  int64_t OwnerId(const std::string& name) {
    auto owners = store_->ListOwners();
    for (const auto& o : *owners)
      if (o.name == name) return o.id;
    throw std::runtime_error("no owner " + name);
  }

  // A fresh submitted update on an assignment (as its editor would make).
  int64_t Submit(int64_t assignment_id, const std::string& narrative,
                 const std::string& author = "eddie") {
    auto a = store_->GetAssignment(assignment_id);
    if (!a) throw std::runtime_error(a.error().message);
    Update u;
    u.date = D("2023-08-01");
    u.implementation = Implementation::kInProgress;
    u.narrative = narrative;
    u.author = author;
    auto id = store_->SubmitUpdate(assignment_id, u, a->version, Actor{"user:" + author});
    if (!id) throw std::runtime_error(id.error().message);
    return *id;
  }

  // The ledger's events of one kind, oldest first.
  std::vector<LedgerEvent> Events(const std::string& kind) {
    std::vector<LedgerEvent> out;
    auto s = store_->ForEachEvent([&](const LedgerEvent& e) {
      if (e.kind == kind) out.push_back(e);
      return true;
    });
    if (!s) throw std::runtime_error(s.error().message);
    return out;
  }

 private:
  testing_util::TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  std::map<std::string, int64_t> assignment_ids_;
  std::map<std::string, int64_t> rec_ids_;
};

}  // namespace rectrack::auth_testing
