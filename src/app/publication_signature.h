#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/signing.h"
#include "store/store.h"

namespace rectrack {

// Signed publications (docs/signatures.md). A publication is signed with the
// tracker's Ed25519 key when it is made (Store::AddPublication); the signed document is what
// GET /api/v1/publications/{id} serves, and anyone can check it offline.

// The fields a publication's signature covers.
PublicationSigningFields SigningFieldsOf(const Publication& p);

// The result of checking a downloaded publication document.
struct PublicationCheck {
  bool ok = false;
  std::vector<std::string> problems;
  int64_t id = 0;
  std::string source, title, as_of, snapshot_sha256;
  std::string public_key;   // the key the document says signed it
  bool key_checked = false; // compared with a key the caller trusts
};

// Checks a publication document (the JSON of GET /api/v1/publications/{id})
// without the store: the snapshot against its digest, the readable snapshot
// against the signed text, the signature against the fields, and, when
// `trusted_key_hex` is given, the signer against that key.
PublicationCheck CheckPublicationDocument(std::string_view document,
                                          std::string_view trusted_key_hex);

}  // namespace rectrack
