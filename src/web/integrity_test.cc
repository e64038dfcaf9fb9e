// The server's watch over its store, over a real server on a loopback port in
// front of a real SQLite file that the test edits behind its back, as an
// insider with write access to the file would: what is forged is never served
// as true.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/checkpoints.h"
#include "app/service.h"
#include "ingest/json_format.h"
#include "nlohmann/json.hpp"
#include "testing/test_store.h"
#include "web/serve.h"
#include "web/server.h"
#include "web/test_client.h"

namespace rectrack::web {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A store with the Harris example and its two publications (and their
// checkpoints), served with checks every 50 ms and a full check every second.
class IntegrityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("store.db");
    auto store = ::rectrack::testing_util::OpenTestStore(db_);
    ASSERT_TRUE(store) << store.error().message;
    auto harris = ReadNativeJson(ReadAll("examples/harris/harris-2016.json"), "harris");
    ASSERT_TRUE(harris) << harris.error().message;
    ASSERT_TRUE(ImportWithPublications(**store, *harris, Actor{"test"}, "harris"));
  }
  void TearDown() override { Stop(); }

  void Start() {
    ServeOptions o;
    o.db = ::rectrack::testing_util::StoreLocation(db_);
    o.keys = ::rectrack::testing_util::StoreKeys(db_);
    o.integrity.incremental_every = std::chrono::milliseconds(50);
    o.integrity.full_every = std::chrono::seconds(1);
    auto app = WebApp::Create(o);
    ASSERT_TRUE(app) << app.error().message;
    app_ = std::move(*app);
    app_->SetToday([] { return *Date::ParseIso("2018-01-01"); });
    ServerOptions so;
    so.port = 0;
    server_ = Server::Create(so, &app_->router());
    auto port = server_->Listen();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { server_->Run(); });
  }
  void Stop() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
    app_.reset();
  }

  WireResponse Get(const std::string& target) {
    Client c(port_);
    auto r = c.Get(target, "");
    EXPECT_TRUE(r) << target;
    return r ? *r : WireResponse{};
  }
  // Waits (up to 10 s) until /healthz answers `status`.
  bool HealthBecomes(int status) {
    for (int i = 0; i < 200; ++i) {
      if (Get("/healthz").status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Tamper(const std::string& sql) {
    ::rectrack::testing_util::RawDb raw(db_);
    ASSERT_EQ(raw.Exec(sql), ::rectrack::testing_util::RawDb::kOk) << raw.error();
  }

  ::rectrack::testing_util::TempDir dir_;
  std::string db_;
  std::unique_ptr<WebApp> app_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(IntegrityTest, CheckpointsAndProofsLetAnOutsiderCheckTheHistory) {
  Start();
  auto doc = json::parse(Get("/api/v1/checkpoints").body);
  auto keys = ParseKeysDoc(doc["keys"]);
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 1u);
  ASSERT_EQ(doc["checkpoints"].size(), 2u);  // one with each publication
  std::vector<Checkpoint> cps;
  for (const auto& c : doc["checkpoints"]) {
    auto parsed = ParseCheckpointDoc(c);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->public_key, (*keys)[0].public_key);
    cps.push_back(*parsed);
  }
  auto latest = json::parse(Get("/api/v1/checkpoints/latest").body);
  EXPECT_EQ(latest["ledger_seq"], cps.back().ledger_seq);
  // The proof from the first checkpoint to the second links them...
  auto proof = json::parse(Get("/api/v1/ledger/proof?from=" + std::to_string(cps[0].ledger_seq) +
                               "&to=" + std::to_string(cps[1].ledger_seq))
                               .body);
  EXPECT_TRUE(CheckProof(proof, cps[0].ledger_seq, cps[0].ledger_hash, cps[1].ledger_seq,
                         cps[1].ledger_hash));
  // ...and to any other head it does not.
  auto bad = CheckProof(proof, cps[0].ledger_seq, cps[0].ledger_hash, cps[1].ledger_seq,
                        std::string(64, 'e'));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("rewritten"), std::string::npos);
  // From the start of the ledger too (a witness's first proof may start there).
  auto whole = json::parse(Get("/api/v1/ledger/proof?from=0&to=" + std::to_string(cps[1].ledger_seq)).body);
  EXPECT_TRUE(CheckProof(whole, 0, kGenesisHash, cps[1].ledger_seq, cps[1].ledger_hash));
  EXPECT_EQ(Get("/api/v1/ledger/proof?from=3&to=2").status, 400);
  EXPECT_EQ(Get("/api/v1/ledger/proof?from=1&to=999").status, 404);
  EXPECT_EQ(Get("/api/v1/ledger/proof?from=x&to=2").status, 400);
  // The signing key document lists the history.
  auto key = json::parse(Get("/api/v1/signing-key").body);
  EXPECT_EQ(key["public_key"], (*keys)[0].public_key);
  EXPECT_EQ(key["keys"].size(), 1u);
  // The publication page links them; so do the feeds.
  auto page = Get("/publications/2");
  EXPECT_NE(page.body.find("/api/v1/checkpoints"), std::string::npos);
  EXPECT_NE(page.body.find("rectrack witness"), std::string::npos);
  EXPECT_NE(Get("/feeds/sources/harris-2016.atom").body.find("href=\"/api/v1/checkpoints\""),
            std::string::npos);
}

TEST_F(IntegrityTest, AnEditBehindItsBackStopsTheServerServingWhatWasForged) {
  Start();
  auto health = json::parse(Get("/healthz").body);
  EXPECT_EQ(health["integrity"]["ok"], true);
  EXPECT_EQ(Get("/sources/harris-2016").status, 200);
  EXPECT_EQ(Get("/api/v1/publications/2").status, 200);
  // An insider marks a recommendation implemented, in the table only.
  Tamper("UPDATE assignments SET implementation = 'implemented' WHERE id = 14");
  ASSERT_TRUE(HealthBecomes(503));
  auto h = Get("/healthz");
  EXPECT_EQ(h.Header("Content-Type"), "application/problem+json");
  EXPECT_NE(h.body.find("assignments, id 14, column implementation"), std::string::npos) << h.body;
  // The live data is refused, pages and API alike...
  auto page = Get("/sources/harris-2016");
  EXPECT_EQ(page.status, 503);
  EXPECT_NE(page.Header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("failed its integrity check"), std::string::npos);
  EXPECT_EQ(page.body.find("9 of 21"), std::string::npos);
  auto api = Get("/api/v1/sources/harris-2016");
  EXPECT_EQ(api.status, 503);
  EXPECT_EQ(api.Header("Content-Type"), "application/problem+json");
  for (const char* target : {"/", "/owners", "/api/v1/owners", "/search?q=mayor",
                             "/api/v1/sources/harris-2016/recommendations?format=csv",
                             "/feeds/sources/harris-2016.atom", "/api/v1/checkpoints"})
    EXPECT_EQ(Get(target).status, 503) << target;
  // ...while the publications checked before, unchanged and passing their own
  // check, are still served.
  EXPECT_EQ(Get("/api/v1/publications/2").status, 200);
  EXPECT_EQ(Get("/publications/2").status, 200);
  auto metrics = Get("/metrics");
  EXPECT_NE(metrics.body.find("rectrack_integrity_ok 0"), std::string::npos);
  EXPECT_NE(metrics.body.find("rectrack_integrity_problems 1"), std::string::npos);

  // A forged publication is refused too.
  Tamper("UPDATE publications SET title = 'Two years on, all done' WHERE id = 2");
  auto pub = Get("/api/v1/publications/2");
  EXPECT_EQ(pub.status, 503);
  EXPECT_EQ(pub.body.find("all done\","), std::string::npos);
  EXPECT_EQ(Get("/publications/2").status, 503);
  EXPECT_EQ(Get("/publications/2.md").status, 503);

  // Put right, it serves again.
  Tamper("UPDATE assignments SET implementation = 'not_started' WHERE id = 14; "
         "UPDATE publications SET title = 'October 2017 update: one year on' WHERE id = 2");
  ASSERT_TRUE(HealthBecomes(200));
  EXPECT_EQ(Get("/sources/harris-2016").status, 200);
  EXPECT_EQ(Get("/api/v1/publications/2").status, 200);
}

TEST_F(IntegrityTest, AStoreForgedBeforeTheServerStartsIsNeverServed) {
  Tamper("UPDATE publications SET snapshot = replace(snapshot, '\"implemented\": 7', "
         "'\"implemented\": 9') WHERE id = 2");
  Start();
  auto h = Get("/healthz");
  EXPECT_EQ(h.status, 503);
  EXPECT_NE(h.body.find("publications, id 2, column snapshot"), std::string::npos) << h.body;
  // Nothing was ever verified: not even the untouched publication is served.
  EXPECT_EQ(Get("/api/v1/publications/1").status, 503);
  auto forged = Get("/api/v1/publications/2");
  EXPECT_EQ(forged.status, 503);
  EXPECT_EQ(forged.body.find("\"implemented\": 9"), std::string::npos);
  EXPECT_EQ(Get("/").status, 503);
}

TEST_F(IntegrityTest, WritesByAnotherProcessAreCheckedAsTheyCome) {
  Start();
  auto before = json::parse(Get("/healthz").body)["integrity"]["checked_seq"].get<int64_t>();
  {
    auto other = ::rectrack::testing_util::OpenTestStore(db_);
    ASSERT_TRUE(other);
    ASSERT_TRUE((*other)->SetOwnerTier("Port of London Authority", "regulator", Actor{"cli:x"}));
  }
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    auto h = json::parse(Get("/healthz").body);
    seen = h["integrity"]["checked_seq"].get<int64_t>() == before + 1 && h["integrity"]["ok"] == true;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(seen);
  EXPECT_NE(Get("/metrics").body.find("rectrack_integrity_checks_total{kind=\"incremental\"}"),
            std::string::npos);
}

TEST_F(IntegrityTest, PublishingRefusesAForgedStore) {
  // Signing the forged figure is what the insider was after.
  Tamper("UPDATE assignments SET implementation = 'implemented' WHERE id = 14");
  auto store = ::rectrack::testing_util::OpenTestStore(db_);
  ASSERT_TRUE(store);
  auto pub = PublishSource(**store, "harris-2016", *Date::ParseIso("2018-10-25"), "Two years on",
                           Actor{"cli:x"});
  ASSERT_FALSE(pub);
  EXPECT_EQ(pub.error().code, Error::Code::kCorrupt);
  EXPECT_NE(pub.error().message.find("assignments, id 14, column implementation"), std::string::npos)
      << pub.error().message;
  auto pubs = (*store)->ListPublications("harris-2016");
  ASSERT_TRUE(pubs);
  EXPECT_EQ(pubs->size(), 2u);
}

}  // namespace
}  // namespace rectrack::web
