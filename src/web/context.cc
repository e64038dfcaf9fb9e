#include "web/context.h"

#include <map>

namespace rectrack::web {

Result<Store*> StoreProvider::Get() {
  // Keyed by provider, so tests may run several servers in one process.
  thread_local std::map<const StoreProvider*, std::unique_ptr<Store>> stores;
  auto it = stores.find(this);
  if (it != stores.end()) return it->second.get();
  auto s = OpenStore(location_);
  if (!s) return Fail(s.error());
  Store* raw = s->get();
  stores.emplace(this, std::move(*s));
  return raw;
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
  auto shared = std::make_shared<const Entry>(std::move(entry));
  size_t size = shared->body.size() + key.size();
  std::lock_guard<std::mutex> lock(mu_);
  if (size > max_bytes_) return shared;  // too big to keep; serve it anyway
  auto it = map_.find(key);
  if (it != map_.end()) {
    bytes_ -= it->second.entry->body.size() + key.size();
    lru_.erase(it->second.pos);
    map_.erase(it);
  }
  lru_.push_front(key);
  map_.emplace(key, Slot{shared, lru_.begin()});
  bytes_ += size;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto victim = map_.find(lru_.back());
    bytes_ -= victim->second.entry->body.size() + victim->first.size();
    map_.erase(victim);
    lru_.pop_back();
  }
  return shared;
}

size_t DocumentCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace rectrack::web
