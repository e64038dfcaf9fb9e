#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/date.h"
#include "store/store.h"

namespace rectrack::web {

// One store connection per server thread: SQLite connections are not shared
// across threads, and each thread reads without waiting for the others.
class StoreProvider {
 public:
  explicit StoreProvider(std::string location) : location_(std::move(location)) {}
  // The calling thread's store, opened on first use.
  Result<Store*> Get();
  const std::string& location() const { return location_; }

 private:
  std::string location_;
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
  };
  std::shared_ptr<const Entry> Get(const std::string& key);
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

// What every handler shares.
struct AppContext {
  StoreProvider* stores = nullptr;
  DocumentCache* cache = nullptr;
  // "Today" for as-of defaults; tests pin it.
  std::function<Date()> today;
};

}  // namespace rectrack::web
