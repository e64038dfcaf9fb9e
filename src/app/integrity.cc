#include "app/integrity.h"

#include "app/service.h"
#include "store/keyfile.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The time of the latest checkpoint, as Unix milliseconds (0: none).
int64_t ParseUtcMs(const std::string& t) {
  // "2026-11-26T04:15:05.123Z"
  int y, mo, d, h, mi, s, ms = 0;
  if (std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms) < 6) return 0;
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

}  // namespace

IntegrityWatch::IntegrityWatch(std::string location, KeyOptions keys, IntegrityOptions options)
    : location_(std::move(location)), keys_(std::move(keys)), options_(options) {}

IntegrityWatch::~IntegrityWatch() { Stop(); }

Status IntegrityWatch::Start() {
  auto store = OpenExistingStore(location_, keys_);
  if (!store) return Fail(store.error());
  store_ = std::move(*store);
  // The key this server signs with is the one the ledger must name: a history
  // re-signed with another key fails, even if it is whole.
  if (auto key = LoadKey(location_, keys_)) options_check_.operator_key = key->public_key_hex;
  auto v = Verifier::Create();
  if (!v) return Fail(v.error());
  verifier_ = std::move(*v);
  Check(true);
  thread_ = std::thread([this] { Run(); });
  return {};
}

void IntegrityWatch::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

IntegrityStatus IntegrityWatch::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

bool IntegrityWatch::PublicationVerified(int64_t id, const std::string& snapshot_sha256,
                                         const std::string& signature) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = verified_publications_.find(id);
  return it != verified_publications_.end() && it->second == snapshot_sha256 + " " + signature;
}

void IntegrityWatch::Poke() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    poked_ = true;
  }
  wake_.notify_all();
}

void IntegrityWatch::Run() {
  int64_t seen_seq = -1;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, options_.incremental_every, [&] { return stop_ || poked_; });
      if (stop_) return;
      poked_ = false;
    }
    bool full = std::chrono::steady_clock::now() - last_full_ >= options_.full_every;
    auto head = store_->Head();
    // A check only when the ledger's head moved or a full one is due; after a
    // failed check, the next is a full one.
    if (!full && head && head->seq == seen_seq) continue;
    if (!ok()) full = true;
    Check(full);
    // Checked again next round while the database was out of reach.
    seen_seq = head && status().unavailable.empty() ? head->seq : -1;
  }
}

void IntegrityWatch::Check(bool full) {
  auto started = std::chrono::steady_clock::now();
  Result<VerifyReport> rep;
  {
    std::lock_guard<std::mutex> lock(verifier_mu_);
    rep = full ? verifier_->Full(*store_, options_check_)
               : verifier_->Incremental(*store_, options_check_);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (full) last_full_ = started;
  std::map<int64_t, std::string> verified;
  if (rep && rep->ok) {
    std::lock_guard<std::mutex> lock(verifier_mu_);
    verified = verifier_->VerifiedPublications();
  }
  Record(rep, full, seconds);
  if (rep && rep->ok) {
    std::lock_guard<std::mutex> lock(mu_);
    verified_publications_ = std::move(verified);
  }
  if (!rep || !rep->ok || options_.checkpoint_every.count() == 0) return;
  // A checkpoint when the last is older than the interval and the ledger has
  // moved past it (beyond the checkpoint's own event).
  auto cps = store_->Checkpoints();
  if (!cps) return;
  auto head = store_->Head();
  if (!head) return;
  int64_t last_seq = cps->empty() ? -1 : cps->back().ledger_seq;
  int64_t last_ms = cps->empty() ? 0 : ParseUtcMs(cps->back().time);
  bool moved = head->seq > last_seq + 1;
  bool due = NowMs() - last_ms >= options_.checkpoint_every.count() * 1000;
  if (!moved || !due) return;
  Result<Checkpoint> c;
  {
    std::lock_guard<std::mutex> lock(verifier_mu_);
    c = MakeCheckpoint(*store_, Actor{"rectrack:server"}, verifier_.get());
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (c) {
    ++status_.checkpoints_made;
    status_.checkpoint_error.clear();
  } else {
    status_.checkpoint_error = c.error().message;
  }
}

void IntegrityWatch::Record(const Result<VerifyReport>& rep, bool full, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  IntegrityStatus& s = status_;
  s.checked = true;
  s.last_check_ms = NowMs();
  if (full) {
    ++s.full_checks;
    s.last_full_ms = s.last_check_ms;
    s.last_full_seconds = seconds;
  } else {
    ++s.incremental_checks;
    s.last_incremental_seconds = seconds;
  }
  if (!rep && rep.error().code == Error::Code::kUnavailable) {
    // The database is out of reach: nothing was learnt about the data, so the
    // last verdict stands (requests that need the database get 503 anyway),
    // and the next round checks again.
    s.unavailable = rep.error().message;
    return;
  }
  s.unavailable.clear();
  if (!rep) {
    s.ok = false;
    s.problem = fmt::format("the store could not be checked: {}", rep.error().message);
    s.problems = 1;
  } else {
    s.ok = rep->ok;
    s.problem = rep->problems.empty() ? "" : rep->problems.front();
    s.problems = static_cast<int64_t>(rep->problems.size());
    s.checked_seq = rep->head.seq;
    if (rep->full_from) s.full_from = rep->full_from;
  }
  if (!s.ok) ++s.failed_checks;
  ok_.store(s.ok, std::memory_order_release);
}

}  // namespace rectrack
