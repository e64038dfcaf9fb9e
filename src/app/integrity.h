#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "store/store.h"
#include "store/verify.h"

namespace rectrack {

// The server's watch over its store: a full check when it starts (before it
// serves anything), then in the background an incremental check soon after
// every write (only what is new since the last good check) and a full check
// every `full_every`; and, at most every `checkpoint_every`, a signed
// checkpoint when the ledger moved. While the last check failed, the server
// answers 503 for everything that is not checked on its own (publications,
// checkpoints): see web/serve.cc.
struct IntegrityOptions {
  std::chrono::milliseconds incremental_every{1000};  // when the ledger moved
  std::chrono::seconds full_every{3600};
  std::chrono::seconds checkpoint_every{86400};  // 0: none made by the server
};

struct IntegrityStatus {
  bool ok = false;
  bool checked = false;       // a check has finished
  std::string problem;        // the first problem of the last failed check
  int64_t problems = 0;       // how many it found
  int64_t checked_seq = 0;    // the ledger head the last check reached
  int64_t full_from = 0;      // from which event the tables are checked
  int64_t last_check_ms = 0;  // Unix milliseconds
  int64_t last_full_ms = 0;
  double last_full_seconds = 0;
  double last_incremental_seconds = 0;
  int64_t full_checks = 0, incremental_checks = 0, failed_checks = 0;
  int64_t checkpoints_made = 0;
  std::string unavailable;  // why the last check could not run (database out of reach)
  std::string checkpoint_error;  // why the last automatic checkpoint failed, if it did
};

class IntegrityWatch {
 public:
  IntegrityWatch(std::string location, KeyOptions keys, IntegrityOptions options);
  ~IntegrityWatch();
  IntegrityWatch(const IntegrityWatch&) = delete;
  IntegrityWatch& operator=(const IntegrityWatch&) = delete;

  // The first full check, now; then the background thread. An error is the
  // store that cannot be read at all; a failed check is a status, not an error.
  Status Start();
  void Stop();

  bool ok() const { return ok_.load(std::memory_order_acquire); }
  IntegrityStatus status() const;
  // Something was written: check it soon.
  void Poke();
  // Whether the last check that passed verified this publication as it is
  // now (its digest and signature): what may still be served while a later
  // check fails.
  bool PublicationVerified(int64_t id, const std::string& snapshot_sha256,
                           const std::string& signature) const;
  // Runs `fn` with the watch's verifier, alone (publishing checks and
  // checkpoints with it), then checks what `fn` wrote.
  template <typename F>
  auto WithVerifier(F&& fn) -> decltype(fn(static_cast<Verifier*>(nullptr))) {
    std::unique_lock<std::mutex> lock(verifier_mu_);
    auto r = fn(verifier_.get());
    lock.unlock();
    Poke();
    return r;
  }

 private:
  void Run();
  // One round: full or incremental, and a checkpoint when due.
  void Check(bool full);
  void Record(const Result<VerifyReport>& rep, bool full, double seconds);

  std::string location_;
  KeyOptions keys_;
  IntegrityOptions options_;
  VerifyOptions options_check_;   // the operator's key, when it can be read
  std::unique_ptr<Store> store_;  // the watch's own connection
  std::mutex verifier_mu_;
  std::unique_ptr<Verifier> verifier_;
  std::atomic<bool> ok_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool poked_ = false;
  IntegrityStatus status_;
  std::map<int64_t, std::string> verified_publications_;  // as of the last good check
  std::chrono::steady_clock::time_point last_full_;
  std::thread thread_;
};

}  // namespace rectrack
