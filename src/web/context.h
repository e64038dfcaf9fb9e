#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/date.h"
#include "app/integrity.h"
#include "app/service.h"
#include "store/store.h"
#include "web/http.h"

namespace rectrack::web {

// One store connection per server thread: SQLite connections are not shared
// across threads, and each thread reads without waiting for the others.
class StoreProvider {
 public:
  explicit StoreProvider(std::string location, KeyOptions keys = {})
      : location_(std::move(location)), keys_(std::move(keys)) {}
  // The calling thread's store, opened on first use.
  Result<Store*> Get();
  const std::string& location() const { return location_; }
  const KeyOptions& keys() const { return keys_; }

 private:
  std::string location_;
  KeyOptions keys_;
};

// Rendered documents keyed by URL and the ledger head they were built from:
// a document is reused until the head moves (live pages) or forever
// (publications, whose key carries no head). Bounded by total bytes; least
// recently used first out.
class DocumentCache {
 public:
  explicit DocumentCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  struct Entry {
    std::string body;
    std::string content_type;
    std::string etag;
    std::string disposition;  // Content-Disposition of downloads
    // `body` gzipped, made once by Put() for compressible types (empty when not
    // worth it), so a cached page is never compressed per request.
    std::string gzip;
  };
  std::shared_ptr<const Entry> Get(const std::string& key);
  // Keeps `entry` (unless it alone exceeds the budget) and returns it shared.
  std::shared_ptr<const Entry> Put(const std::string& key, Entry entry);
  size_t bytes() const;

 private:
  mutable std::mutex mu_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::list<std::string> lru_;  // front: most recent
  struct Slot {
    std::shared_ptr<const Entry> entry;
    std::list<std::string>::iterator pos;
  };
  std::unordered_map<std::string, Slot> map_;
};

// The ledger head's sequence number, which keys every live document in the
// cache. Reading it from the store costs a read transaction (file locks, a
// statement) on every request, more than serving the cached page itself; so
// it is re-read at most every `recheck`, and at once after Invalidate(),
// which the server calls after every write it handles. A write by another
// process (the CLI, a second server on the same store) shows within
// `recheck`; one made through this server, at once. A recheck of zero reads
// the store every time.
class HeadWatch {
 public:
  explicit HeadWatch(std::chrono::milliseconds recheck) : recheck_ms_(recheck.count()) {}
  // The head's seq, from memory when fresh, else from `store`.
  Result<int64_t> Seq(Store& store);
  // Forget what was read: the next Seq() asks the store.
  void Invalidate() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  // A new recheck interval: longer while another process's writes are pushed
  // (Invalidate on each: PostgreSQL's NOTIFY), back when they are not.
  void SetRecheck(std::chrono::milliseconds recheck) {
    recheck_ms_.store(recheck.count(), std::memory_order_relaxed);
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::atomic<int64_t> recheck_ms_;
  std::atomic<uint64_t> generation_{0};
  // The generation seq_ was read in (+1, so 0 means "never read").
  std::atomic<uint64_t> fresh_generation_{0};
  std::atomic<int64_t> seq_{-1};
  std::atomic<int64_t> read_at_ns_{0};
};

// A 200 response that sends a cached entry's bytes without copying them:
// Content-Type, ETag and Content-Disposition from the entry, the body and its
// gzip shared with the cache. The caller adds Cache-Control.
Response CachedResponse(std::shared_ptr<const DocumentCache::Entry> entry);

// What every handler shares.
struct AppContext {
  StoreProvider* stores = nullptr;
  DocumentCache* cache = nullptr;
  HeadWatch* heads = nullptr;  // null: read the head on every request
  // "Today" for as-of defaults; tests pin it.
  std::function<Date()> today;
  // The site's address as readers reach it ("https://tracker.example.org"),
  // without a trailing slash: the start of every absolute link a document
  // carries (CSV and XLSX downloads). Never taken from a request's Host, which
  // a stranger chooses: one request could otherwise put its host into a
  // cached download that every later reader gets. Empty: links stay relative.
  std::string public_url;
  // The store's check against its ledger (null: none, as in a static export).
  IntegrityWatch* integrity = nullptr;
};

// PublishSource with the server's verifier (its integrity watch), so that a
// publication checks only what changed since the watch's last check; with a
// new one when the context has no watch.
Result<Publication> Publish(AppContext& ctx, Store& store, const std::string& slug, Date as_of,
                            PublishRequest request, const Actor& actor);

// The ledger head's seq that keys live documents: from ctx.heads when the
// context has one, else read from `store`.
Result<int64_t> HeadSeq(AppContext& ctx, Store& store);

}  // namespace rectrack::web
