#include "mail/smtp.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack::mail {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

// "smtp://user@host:25/" -> scheme, host; false if it is not an SMTP URL.
bool SplitUrl(const std::string& url, std::string* scheme, std::string* host, bool* password) {
  size_t sep = url.find("://");
  if (sep == std::string::npos) return false;
  *scheme = ToLowerAscii(url.substr(0, sep));
  std::string rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find('/'));
  size_t at = rest.rfind('@');
  std::string userinfo = at == std::string::npos ? "" : rest.substr(0, at);
  *password = userinfo.find(':') != std::string::npos;
  std::string hostport = at == std::string::npos ? rest : rest.substr(at + 1);
  if (!hostport.empty() && hostport[0] == '[') {
    *host = hostport.substr(0, hostport.find(']') + 1);
  } else {
    *host = hostport.substr(0, hostport.find(':'));
  }
  return (*scheme == "smtp" || *scheme == "smtps") && !host->empty();
}

struct Upload {
  const std::string* data;
  size_t at = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t room = size * n, left = u->data->size() - u->at;
  size_t k = std::min(room, left);
  std::memcpy(buffer, u->data->data() + u->at, k);
  u->at += k;
  return k;
}

class CurlMailer : public Mailer {
 public:
  CurlMailer(SmtpOptions o, bool loopback) : o_(std::move(o)), loopback_(loopback) {}
  ~CurlMailer() override {
    if (curl_) curl_easy_cleanup(curl_);
  }

  tl::expected<void, SendFailure> Send(const std::string& from, const std::string& to,
                                       const std::string& message) override {
    if (!curl_) curl_ = curl_easy_init();
    if (!curl_) return tl::unexpected(SendFailure{"libcurl could not start", false, true});
    curl_easy_reset(curl_);
    char error[CURL_ERROR_SIZE] = {0};
    Upload up{&message};
    std::string mail_from = "<" + from + ">";
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
    curl_easy_setopt(curl_, CURLOPT_URL, o_.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(curl_, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl_, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl_, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, 20L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, o_.timeout_s);
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    // STARTTLS is required on smtp:// except to a loopback relay (a local MTA
    // or a test server), where it is used when the server offers it.
    curl_easy_setopt(curl_, CURLOPT_USE_SSL, loopback_ ? CURLUSESSL_TRY : CURLUSESSL_ALL);
    if (!o_.user.empty()) {
      curl_easy_setopt(curl_, CURLOPT_USERNAME, o_.user.c_str());
      curl_easy_setopt(curl_, CURLOPT_PASSWORD, o_.password.c_str());
    }
    CURLcode rc = curl_easy_perform(curl_);
    long code = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    if (rc == CURLE_OK) return {};
    SendFailure f;
    f.message = fmt::format("{}{}", error[0] ? error : curl_easy_strerror(rc),
                            code ? fmt::format(" (server answered {})", code) : std::string());
    f.permanent = code >= 500 && code < 600;
    // No answer from a server at all: it is not there (or not speaking SMTP).
    f.connection = code == 0 && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                   rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_LOGIN_DENIED ||
                   rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR ||
                   rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SEND_ERROR ||
                   rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING);
    if (rc == CURLE_LOGIN_DENIED) f.connection = true;  // so is every later message's
    if (rc == CURLE_LOGIN_DENIED) f.permanent = false;  // fix the credentials, then retry
    return tl::unexpected(f);
  }

 private:
  SmtpOptions o_;
  bool loopback_;
  CURL* curl_ = nullptr;
};

}  // namespace

Status LoadSmtpCredentials(const std::string& file, SmtpOptions* o) {
  const char* user = std::getenv("RECTRACK_SMTP_USER");
  const char* password = std::getenv("RECTRACK_SMTP_PASSWORD");
  if (user && *user) {
    o->user = user;
    o->password = password ? password : "";
    return {};
  }
  if (file.empty()) return {};
  struct stat st;
  if (::stat(file.c_str(), &st) != 0)
    return Fail(Error::NotFound(fmt::format("cannot read the SMTP credentials file {}: {}", file,
                                            std::strerror(errno))));
  if (st.st_mode & 077)
    return Fail(Error::Invalid(fmt::format(
        "the SMTP credentials file {} may be read by others (mode {:o}): `chmod 600 {}`", file,
        st.st_mode & 0777, file)));
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0)
    return Fail(Error::Invalid(
        fmt::format("the SMTP credentials file {} must hold one line, USER:PASSWORD", file)));
  o->user = line.substr(0, colon);
  o->password = line.substr(colon + 1);
  return {};
}

Result<std::unique_ptr<Mailer>> OpenSmtpMailer(const SmtpOptions& options) {
  InitCurlOnce();
  std::string scheme, host;
  bool password = false;
  if (!SplitUrl(options.url, &scheme, &host, &password))
    return Fail(Error::Invalid(fmt::format(
        "--smtp '{}' is not an SMTP server's address: give smtp://HOST:PORT (STARTTLS) or "
        "smtps://HOST:PORT (TLS)",
        options.url)));
  if (password)
    return Fail(Error::Invalid(
        "--smtp holds a password: give it in RECTRACK_SMTP_PASSWORD (with RECTRACK_SMTP_USER) or "
        "in a file (--smtp-credentials), not in the address"));
  return std::unique_ptr<Mailer>(new CurlMailer(options, scheme == "smtp" && IsLoopbackHost(host)));
}

}  // namespace rectrack::mail
