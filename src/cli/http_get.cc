#include "cli/http_get.h"

#include <curl/curl.h>

#include <mutex>

#include "fmt/format.h"

namespace rectrack::cli {
namespace {

struct Sink {
  std::string body;
  size_t max;
  bool too_big = false;
};

size_t Write(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t bytes = size * n;
  if (sink->body.size() + bytes > sink->max) {
    sink->too_big = true;
    return 0;  // aborts the transfer
  }
  sink->body.append(data, bytes);
  return bytes;
}

}  // namespace

Result<std::string> HttpGet(const std::string& url, long timeout_seconds, size_t max_bytes) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return Fail(Error::Invalid(fmt::format("'{}' is not an http:// or https:// address", url)));
  CURL* c = curl_easy_init();
  if (!c) return Fail(Error::Io("cannot start an HTTP client"));
  Sink sink{{}, max_bytes};
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  curl_easy_setopt(c, CURLOPT_USERAGENT, "rectrack-witness/1");
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  if (sink.too_big)
    return Fail(Error::Io(fmt::format("{}: the answer is larger than {} bytes", url, max_bytes)));
  if (rc != CURLE_OK)
    return Fail(Error::Io(fmt::format("{}: {}", url, err[0] ? err : curl_easy_strerror(rc))));
  if (status != 200)
    return Fail(Error::Io(fmt::format("{}: the server answered {}", url, status)));
  return std::move(sink.body);
}

}  // namespace rectrack::cli
