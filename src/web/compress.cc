#include "web/compress.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>

#include "core/text.h"
#include "web/http.h"

namespace rectrack::web {
namespace {

// zlib level 5: close to level 6's ratio on HTML and JSON, noticeably cheaper.
constexpr int kGzipLevel = 5;

// One deflate stream per thread, reset between bodies: deflateInit2 allocates
// about 256 KiB, which we do not want to pay per response.
class Deflater {
 public:
  Deflater() {
    ok_ = deflateInit2(&zs_, kGzipLevel, Z_DEFLATED, 15 + 16 /* gzip wrapper */, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ok_) deflateEnd(&zs_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  bool Gzip(std::string_view in, std::string* out) {
    if (!ok_ || in.size() > UINT32_MAX / 2) return false;
    if (deflateReset(&zs_) != Z_OK) return false;
    out->resize(deflateBound(&zs_, static_cast<uLong>(in.size())));
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    zs_.next_out = reinterpret_cast<Bytef*>(out->data());
    zs_.avail_out = static_cast<uInt>(out->size());
    if (deflate(&zs_, Z_FINISH) != Z_STREAM_END) return false;
    out->resize(zs_.total_out);
    return true;
  }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

}  // namespace

bool Gzip(std::string_view in, std::string* out) {
  thread_local Deflater deflater;
  return deflater.Gzip(in, out);
}

bool IsCompressibleType(std::string_view content_type) {
  std::string type = ToLowerAscii(TrimOws(content_type.substr(0, content_type.find(';'))));
  if (type.rfind("text/", 0) == 0) return true;
  static constexpr std::string_view kTypes[] = {"application/json", "application/problem+json",
                                                "application/xml",  "application/atom+xml",
                                                "image/svg+xml",    "application/openapi+json"};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}


}  // namespace rectrack::web
