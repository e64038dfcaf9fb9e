// libFuzzer harness: HTTP requests as bytes, read by the server's parser
// (Boost.Beast, with the server's limits) and answered as a connection answers
// them (web/server.h AnswerRequest): the target, Host, path, query, cookie,
// form and UTF-8 checks, then every route of `rectrack serve` over a small
// real store (the Harris example, a user of each role). Nothing may crash or
// trip ASan/UBSan, and nothing may answer 500: a hostile request is a 4xx.
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "app/auth.h"
#include "app/service.h"
#include "ingest/json_format.h"
#include "store/store.h"
#include "web/serve.h"
#include "web/server.h"

namespace http = boost::beast::http;
using namespace rectrack;

namespace {

web::WebApp* App() {
  static web::WebApp* app = [] {
    const std::string dir = std::filesystem::temp_directory_path() /
                            ("rectrack-http-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    web::ServeOptions o;
    o.db = dir + "/fuzz.db";
    o.create = true;
    o.public_url = "https://tracker.example.org";
    {
      auto store = OpenStore(o.db, o.keys);
      if (!store) std::abort();
      const char* src = std::getenv("RECTRACK_SOURCE_DIR");
      std::string path = std::string(src ? src : ".") + "/examples/harris/harris-2016.json";
      FILE* f = std::fopen(path.c_str(), "rb");
      if (!f) {
        std::fprintf(stderr, "http_fuzz: cannot read %s (set RECTRACK_SOURCE_DIR)\n", path.c_str());
        std::abort();
      }
      std::string json;
      char buf[65536];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) json.append(buf, n);
      std::fclose(f);
      auto batch = ReadNativeJson(json, path);
      if (!batch || !ImportWithPublications(**store, *batch, Actor{"fuzz"}, "harris")) std::abort();
      for (const char* role : {"admin", "coordinator", "viewer"})
        if (!auth::CreateUser(**store, std::string("fuzz-") + role, role, {},
                              "correct horse battery", Actor{"fuzz"}, auth::PasswordCost::kMinimal))
          std::abort();
    }
    auto app = web::WebApp::Create(o);
    if (!app) std::abort();
    (*app)->SetPublicUrl(o.public_url);
    return app->release();
  }();
  return app;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static web::ServerOptions options = [] {
    web::ServerOptions o;
    o.allowed_hosts = {"localhost", "127.0.0.1", "tracker.example.org"};
    return o;
  }();
  web::WebApp* app = App();
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;  // the server answers 400/413/431 or waits
  auto& msg = parser.get();
  web::WireRequest wire;
  wire.method = std::string(msg.method_string());
  wire.target = std::string(msg.target());
  wire.version = static_cast<int>(msg.version());
  for (const auto& field : msg) wire.headers.emplace_back(field.name_string(), field.value());
  wire.body = std::move(msg.body());
  wire.remote = "127.0.0.1";
  web::Request request;
  bool close = false;
  std::string route;
  web::Response r = web::AnswerRequest(options, app->router(), std::move(wire), &request, &close, &route);
  if (r.status >= 500 && r.status != 503) {
    std::fprintf(stderr, "http_fuzz: %d for %s %s\n", r.status, request.method.c_str(),
                 request.target.c_str());
    __builtin_trap();
  }
  return 0;
}
