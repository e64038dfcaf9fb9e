#include "web/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <unordered_map>

namespace rectrack::web {
namespace {

namespace fs = std::filesystem;

// Files larger than this are read every time; the cache never holds more than kCacheBytes.
constexpr size_t kMaxCachedFile = 4 * 1024 * 1024;
constexpr size_t kCacheBytes = 32 * 1024 * 1024;

struct CachedFile {
  off_t size = 0;
  struct timespec mtime {};
  std::string body;
  std::string etag;
};

std::mutex cache_mu;
std::unordered_map<std::string, CachedFile> cache;
size_t cache_bytes = 0;

Response NotFound() {
  return Response::Problem(404, "Not Found", "Nothing is published at this address.");
}

bool SameStat(const CachedFile& f, const struct stat& st) {
  return f.size == st.st_size && f.mtime.tv_sec == st.st_mtim.tv_sec &&
         f.mtime.tv_nsec == st.st_mtim.tv_nsec;
}

bool ReadAll(int fd, size_t size, std::string* out) {
  out->resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, out->data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext(file_name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::unordered_map<std::string, std::string_view> kTypes = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"txt", "text/plain; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"xml", "application/xml"},
      {"atom", "application/atom+xml"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/vnd.microsoft.icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"pdf", "application/pdf"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
  };
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

Response ServeStatic(const std::string& root, std::string_view rel_path,
                     std::string_view cache_control) {
  while (!rel_path.empty() && rel_path.front() == '/') rel_path.remove_prefix(1);
  if (rel_path.empty() || rel_path.find('\0') != std::string_view::npos ||
      rel_path.find('\\') != std::string_view::npos) {
    return NotFound();
  }
  // Lexically: no ".", "..", or empty segments. Then physically (below): the
  // canonical path, symlinks resolved, must still lie under the canonical root.
  for (std::string_view rest = rel_path; !rest.empty();) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg.empty() || seg == "." || seg == "..") return NotFound();
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  std::error_code ec;
  fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return NotFound();
  fs::path canonical = fs::canonical(canonical_root / fs::path(rel_path), ec);
  if (ec) return NotFound();
  auto [root_end, unused] = std::mismatch(canonical_root.begin(), canonical_root.end(),
                                          canonical.begin(), canonical.end());
  (void)unused;
  if (root_end != canonical_root.end() || canonical == canonical_root) return NotFound();

  // O_NOFOLLOW: a last component swapped for a symlink after the check is refused.
  Fd fd(::open(canonical.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return NotFound();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return NotFound();

  std::string key = canonical.string();
  Response response;
  {
    std::lock_guard<std::mutex> lock(cache_mu);
    auto it = cache.find(key);
    if (it != cache.end() && SameStat(it->second, st)) {
      response.body = it->second.body;
      response.Set("ETag", it->second.etag);
    }
  }
  if (!response.Has("ETag")) {
    if (!ReadAll(fd.get(), static_cast<size_t>(st.st_size), &response.body)) return NotFound();
    std::string etag = StrongEtag(response.body);
    response.Set("ETag", etag);
    if (response.body.size() <= kMaxCachedFile) {
      std::lock_guard<std::mutex> lock(cache_mu);
      auto it = cache.find(key);
      if (it != cache.end()) {
        cache_bytes -= it->second.body.size();
        cache.erase(it);
      }
      if (cache_bytes + response.body.size() <= kCacheBytes) {
        CachedFile entry{st.st_size, st.st_mtim, response.body, etag};
        cache_bytes += entry.body.size();
        cache.emplace(std::move(key), std::move(entry));
      }
    }
  }
  response.status = 200;
  response.Set("Content-Type", std::string(ContentTypeFor(canonical.filename().string())));
  response.Set("Cache-Control", std::string(cache_control));
  return response;
}

}  // namespace rectrack::web
