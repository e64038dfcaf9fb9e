#pragma once

// A raw HTTP/1.1 client over a blocking POSIX socket, for tests of the real
// server on a loopback port: every byte on the wire is the test's to check.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web/http.h"

namespace rectrack::web {
namespace {

struct WireResponse {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string, HeaderLess> headers;  // first of each
  std::vector<std::pair<std::string, std::string>> all_headers;
  std::string body;
  std::string Header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool Has(std::string_view name) const { return headers.count(name) > 0; }
};

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    // Longer than any answer a test waits for: a write that waits out the
    // store's 5 s lock wait is answered 503 only after it (the busy tests
    // allow up to 8 s), so a 5 s read timeout raced that answer.
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response. `head`: the request was HEAD, so no body follows.
  std::optional<WireResponse> Read(bool head = false) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    WireResponse r;
    std::string_view header(buffer_.data(), end);
    size_t line_end = header.find("\r\n");
    std::string_view status_line = header.substr(0, line_end);
    if (status_line.substr(0, 9) != "HTTP/1.1 " && status_line.substr(0, 9) != "HTTP/1.0 ") {
      return std::nullopt;
    }
    r.status = std::stoi(std::string(status_line.substr(9, 3)));
    r.reason = std::string(status_line.substr(std::min<size_t>(13, status_line.size())));
    while (line_end != std::string_view::npos) {
      size_t start = line_end + 2;
      line_end = header.find("\r\n", start);
      std::string_view line =
          header.substr(start, line_end == header.npos ? header.npos : line_end - start);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      std::string name(line.substr(0, colon));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace(name, std::string(value));
      r.all_headers.emplace_back(name, std::string(value));
    }
    buffer_.erase(0, end + 4);
    if (head || r.status == 304 || r.status == 204) return r;
    if (r.Has("Content-Length")) {
      size_t length = std::stoul(r.Header("Content-Length"));
      while (buffer_.size() < length) {
        if (!Fill()) return std::nullopt;
      }
      r.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    } else {
      while (Fill()) {
      }
      r.body = std::move(buffer_);
      buffer_.clear();
    }
    return r;
  }

  std::optional<WireResponse> Get(const std::string& target, const std::string& extra = "") {
    if (!Send("GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n")) {
      return std::nullopt;
    }
    return Read();
  }

  // True when the server closes the connection (EOF or reset) within `timeout`;
  // anything it sends meanwhile is discarded.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count())));
      if (ready <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  bool Fill() {
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// `in` in gzip format at zlib `level`.
[[maybe_unused]] std::string GzipAtLevel(const std::string& in, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "";
}

[[maybe_unused]] std::string Gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "<inflateInit2 failed>";
  std::string out;
  char buf[16384];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return "<corrupt gzip>";
    }
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

}  // namespace
}  // namespace rectrack::web
