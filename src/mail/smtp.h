#pragma once
// Sending a message by SMTP, through libcurl: smtp:// with STARTTLS (required,
// except to a loopback address, where it is used when offered), smtps:// with
// TLS from the start, and authentication when credentials are given.

#include <memory>
#include <string>

#include "core/result.h"

namespace rectrack::mail {

struct SmtpOptions {
  std::string url;       // smtp://host:port or smtps://host:port
  std::string user;      // empty: no authentication
  std::string password;
  long timeout_s = 120;  // a whole message, connection included
};

// Credentials: RECTRACK_SMTP_USER and RECTRACK_SMTP_PASSWORD, else `file`
// (one line, USER:PASSWORD; it must not be readable by others, as ssh
// insists for its keys). A URL that holds a password is refused: it would
// show in process lists and logs.
Status LoadSmtpCredentials(const std::string& file, SmtpOptions* options);

// What a failed send means for the message.
struct SendFailure {
  std::string message;
  bool permanent = false;   // the server refused it for good (5xx): do not retry
  bool connection = false;  // the server could not be reached: later messages would fail too
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Sends `message` (RFC 5322, CRLF) from `from` to `to`.
  virtual tl::expected<void, SendFailure> Send(const std::string& from, const std::string& to,
                                               const std::string& message) = 0;
};

// A mailer that keeps its connection between messages.
Result<std::unique_ptr<Mailer>> OpenSmtpMailer(const SmtpOptions& options);

}  // namespace rectrack::mail
