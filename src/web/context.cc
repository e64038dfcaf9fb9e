#include "web/context.h"

#include "app/service.h"

#include "web/compress.h"

#include <algorithm>
#include <map>

namespace rectrack::web {

Result<Publication> Publish(AppContext& ctx, Store& store, const std::string& slug, Date as_of,
                            PublishRequest request, const Actor& actor) {
  if (!request.today && ctx.today) request.today = ctx.today();
  if (!ctx.integrity) return PublishSource(store, slug, as_of, request, actor);
  return ctx.integrity->WithVerifier(
      [&](Verifier* v) { return PublishSource(store, slug, as_of, request, actor, v); });
}

Result<Store*> StoreProvider::Get() {
  // Keyed by provider, so tests may run several servers in one process.
  thread_local std::map<const StoreProvider*, std::unique_ptr<Store>> stores;
  auto it = stores.find(this);
  if (it != stores.end()) return it->second.get();
  auto s = OpenExistingStore(location_, keys_);
  if (!s) return Fail(s.error());
  Store* raw = s->get();
  stores.emplace(this, std::move(*s));
  return raw;
}

namespace {

size_t Size(const std::string& key, const DocumentCache::Entry& e) {
  return key.size() + e.body.size() + e.gzip.size();
}

}  // namespace

Response CachedResponse(std::shared_ptr<const DocumentCache::Entry> entry) {
  Response r;
  r.Set("Content-Type", entry->content_type);
  if (!entry->etag.empty()) r.Set("ETag", entry->etag);
  if (!entry->disposition.empty()) r.Set("Content-Disposition", entry->disposition);
  if (!entry->gzip.empty()) r.shared_gzip = std::shared_ptr<const std::string>(entry, &entry->gzip);
  const std::string* body = &entry->body;
  r.shared_body = std::shared_ptr<const std::string>(std::move(entry), body);
  return r;
}

std::shared_ptr<const DocumentCache::Entry> DocumentCache::Get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.pos);
  return it->second.entry;
}

std::shared_ptr<const DocumentCache::Entry> DocumentCache::Put(const std::string& key,
                                                               Entry entry) {
  entry.gzip.clear();
  if (entry.body.size() >= kMinGzipBytes && IsCompressibleType(entry.content_type) &&
      (!Gzip(entry.body, &entry.gzip) || entry.gzip.size() >= entry.body.size())) {
    entry.gzip.clear();
  }
  auto shared = std::make_shared<const Entry>(std::move(entry));
  size_t size = Size(key, *shared);
  std::lock_guard<std::mutex> lock(mu_);
  if (size > max_bytes_) return shared;  // too big to keep; serve it anyway
  auto it = map_.find(key);
  if (it != map_.end()) {
    bytes_ -= Size(key, *it->second.entry);
    lru_.erase(it->second.pos);
    map_.erase(it);
  }
  lru_.push_front(key);
  map_.emplace(key, Slot{shared, lru_.begin()});
  bytes_ += size;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto victim = map_.find(lru_.back());
    bytes_ -= Size(victim->first, *victim->second.entry);
    map_.erase(victim);
    lru_.pop_back();
  }
  return shared;
}

Result<int64_t> HeadSeq(AppContext& ctx, Store& store) {
  if (ctx.heads) return ctx.heads->Seq(store);
  auto head = store.Head();
  if (!head) return Fail(head.error());
  return head->seq;
}

Result<int64_t> HeadWatch::Seq(Store& store) {
  const uint64_t generation = generation_.load(std::memory_order_acquire);
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          Clock::now().time_since_epoch()).count();
  const int64_t recheck_ms = recheck_ms_.load(std::memory_order_relaxed);
  if (recheck_ms > 0 && fresh_generation_.load(std::memory_order_acquire) == generation + 1 &&
      now - read_at_ns_.load(std::memory_order_relaxed) < recheck_ms * 1000000) {
    return seq_.load(std::memory_order_acquire);
  }
  auto head = store.Head();
  if (!head) return Fail(head.error());
  // The ledger only grows: keep the highest seq any thread has read, so a slow
  // reader can never put an older head back over a newer one.
  int64_t seen = seq_.load(std::memory_order_relaxed);
  while (seen < head->seq &&
         !seq_.compare_exchange_weak(seen, head->seq, std::memory_order_acq_rel)) {
  }
  read_at_ns_.store(now, std::memory_order_relaxed);
  // Published after seq_: whoever sees this generation sees that seq or later.
  fresh_generation_.store(generation + 1, std::memory_order_release);
  return std::max(seen, head->seq);
}

size_t DocumentCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace rectrack::web
