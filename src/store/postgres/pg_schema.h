#pragma once

#include <string_view>

namespace rectrack::pg {

// Versioned migrations of the PostgreSQL store, applied in order on open under
// the store's advisory lock; the table rectrack_schema records how many have
// run. Never edit a released migration: add the next one.
//
// The tables are SQLite's (store/sqlite/schema.h) at its migration 4, so that
// the same change sets apply to both and rows read back identically:
//  - every text column is COLLATE "C", so that ORDER BY is byte order as in
//    SQLite whatever the database's locale;
//  - integers are BIGINT; dates stay ISO text as in SQLite;
//  - search is a table of its own, recommendation_search(id, text, responses),
//    which the SQL store keeps up as it keeps SQLite's FTS5 table, with a
//    generated tsvector over a text search configuration without stop words
//    (so that every word can be searched for, as in SQLite) and a GIN index.
inline constexpr std::string_view kMigrations[] = {
    // 1: the domain, the ledger, accounts, keys and checkpoints; search.
    R"sql(
CREATE TABLE meta (
  key   TEXT COLLATE "C" PRIMARY KEY,
  value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE owners (
  id   BIGINT PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL UNIQUE,
  tier TEXT COLLATE "C" NOT NULL DEFAULT 'unclassified'
);

CREATE TABLE owner_aliases (
  alias    TEXT COLLATE "C" PRIMARY KEY,
  owner_id BIGINT NOT NULL REFERENCES owners(id)
);

CREATE TABLE sources (
  id              BIGINT PRIMARY KEY,
  slug            TEXT COLLATE "C" NOT NULL UNIQUE,
  kind            TEXT COLLATE "C" NOT NULL,
  title           TEXT COLLATE "C" NOT NULL,
  author          TEXT COLLATE "C" NOT NULL DEFAULT '',
  commissioned_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  date            TEXT COLLATE "C",
  url             TEXT COLLATE "C" NOT NULL DEFAULT '',
  response_days   BIGINT,
  recorded_on     TEXT COLLATE "C",
  stated_total    BIGINT,
  notes           TEXT COLLATE "C" NOT NULL DEFAULT '',
  vocabulary      TEXT COLLATE "C" NOT NULL DEFAULT 'canonical'
);

CREATE TABLE recommendations (
  id        BIGINT PRIMARY KEY,
  source_id BIGINT NOT NULL REFERENCES sources(id),
  ref       TEXT COLLATE "C" NOT NULL,
  text      TEXT COLLATE "C" NOT NULL,
  themes    TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  made      TEXT COLLATE "C",
  target    TEXT COLLATE "C",
  made_by   TEXT COLLATE "C" NOT NULL DEFAULT '',
  url       TEXT COLLATE "C" NOT NULL DEFAULT '',
  UNIQUE (source_id, ref)
);

CREATE TABLE assignments (
  id                BIGINT PRIMARY KEY,
  recommendation_id BIGINT NOT NULL REFERENCES recommendations(id),
  owner_id          BIGINT NOT NULL REFERENCES owners(id),
  due               TEXT COLLATE "C",
  response          TEXT COLLATE "C" NOT NULL DEFAULT 'none',
  response_text     TEXT COLLATE "C" NOT NULL DEFAULT '',
  response_date     TEXT COLLATE "C",
  status            TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
  implementation    TEXT COLLATE "C" NOT NULL DEFAULT 'not_started',
  raw_status        TEXT COLLATE "C" NOT NULL DEFAULT '',
  raw_response      TEXT COLLATE "C" NOT NULL DEFAULT '',
  version           BIGINT NOT NULL DEFAULT 1,
  UNIQUE (recommendation_id, owner_id)
);
CREATE INDEX assignments_owner ON assignments(owner_id);

CREATE TABLE updates (
  id              BIGINT PRIMARY KEY,
  assignment_id   BIGINT NOT NULL REFERENCES assignments(id),
  date            TEXT COLLATE "C" NOT NULL,
  response        TEXT COLLATE "C",
  response_text   TEXT COLLATE "C" NOT NULL DEFAULT '',
  response_status TEXT COLLATE "C",
  implementation  TEXT COLLATE "C",
  narrative       TEXT COLLATE "C" NOT NULL DEFAULT '',
  evidence        TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  author          TEXT COLLATE "C" NOT NULL DEFAULT '',
  state           TEXT COLLATE "C" NOT NULL DEFAULT 'validated',
  return_reason   TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX updates_assignment ON updates(assignment_id, date);
CREATE INDEX updates_state ON updates(state) WHERE state = 'submitted';

CREATE TABLE funding (
  id        BIGINT PRIMARY KEY,
  source_id BIGINT NOT NULL REFERENCES sources(id),
  owner_id  BIGINT NOT NULL REFERENCES owners(id),
  item      TEXT COLLATE "C" NOT NULL,
  period    TEXT COLLATE "C" NOT NULL DEFAULT '',
  cost      BIGINT NOT NULL,
  funded    BIGINT NOT NULL,
  currency  TEXT COLLATE "C" NOT NULL DEFAULT 'GBP',
  note      TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE TABLE publications (
  id              BIGINT PRIMARY KEY,
  source_id       BIGINT NOT NULL REFERENCES sources(id),
  title           TEXT COLLATE "C" NOT NULL,
  as_of           TEXT COLLATE "C" NOT NULL,
  ledger_seq      BIGINT NOT NULL,
  ledger_hash     TEXT COLLATE "C" NOT NULL,
  created_at      TEXT COLLATE "C" NOT NULL,
  snapshot        TEXT COLLATE "C" NOT NULL,
  snapshot_sha256 TEXT COLLATE "C" NOT NULL,
  signature       TEXT COLLATE "C" NOT NULL DEFAULT '',
  signing_key     TEXT COLLATE "C" NOT NULL DEFAULT ''
);

-- Append-only: the triggers refuse edits made through SQL (by anyone but a
-- superuser who drops them); `rectrack verify` catches the rest.
CREATE TABLE ledger (
  seq       BIGINT PRIMARY KEY,
  ts        TEXT COLLATE "C" NOT NULL,
  actor     TEXT COLLATE "C" NOT NULL,
  kind      TEXT COLLATE "C" NOT NULL,
  payload   TEXT COLLATE "C" NOT NULL,
  prev_hash TEXT COLLATE "C" NOT NULL,
  hash      TEXT COLLATE "C" NOT NULL,
  scheme    BIGINT NOT NULL DEFAULT 2
);
CREATE INDEX ledger_kind ON ledger(kind);
CREATE FUNCTION rectrack_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only';
END
$$;
CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger
  FOR EACH ROW EXECUTE FUNCTION rectrack_ledger_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
  FOR EACH STATEMENT EXECUTE FUNCTION rectrack_ledger_append_only();

CREATE TABLE users (
  id              BIGINT PRIMARY KEY,
  name            TEXT COLLATE "C" NOT NULL UNIQUE,
  password_hash   TEXT COLLATE "C" NOT NULL,
  role            TEXT COLLATE "C" NOT NULL
                  CHECK (role IN ('admin', 'coordinator', 'editor', 'viewer')),
  disabled        BIGINT NOT NULL DEFAULT 0,
  created_at      TEXT COLLATE "C" NOT NULL,
  password_sha256 TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE TABLE user_owners (
  user_id  BIGINT NOT NULL REFERENCES users(id),
  owner_id BIGINT NOT NULL REFERENCES owners(id),
  PRIMARY KEY (user_id, owner_id)
);
CREATE INDEX user_owners_owner ON user_owners(owner_id);

CREATE TABLE sessions (
  token_hash TEXT COLLATE "C" PRIMARY KEY,
  user_id    BIGINT NOT NULL REFERENCES users(id),
  csrf_token TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_seen  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
  id           BIGINT PRIMARY KEY,
  token_hash   TEXT COLLATE "C" NOT NULL UNIQUE,
  user_id      BIGINT NOT NULL REFERENCES users(id),
  label        TEXT COLLATE "C" NOT NULL,
  created_at   BIGINT NOT NULL,
  last_used    BIGINT NOT NULL DEFAULT 0,
  revoked      BIGINT NOT NULL DEFAULT 0,
  token_sha256 TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_failures (
  key TEXT COLLATE "C" NOT NULL,
  at  BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);
CREATE INDEX login_failures_at ON login_failures(at);

CREATE TABLE tracker_keys (
  id           BIGINT PRIMARY KEY,
  public_key   TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at   TEXT COLLATE "C" NOT NULL,
  first_seq    BIGINT NOT NULL,
  previous_key TEXT COLLATE "C" NOT NULL DEFAULT '',
  endorsement  TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE TABLE checkpoints (
  ledger_seq   BIGINT PRIMARY KEY,
  ledger_hash  TEXT COLLATE "C" NOT NULL,
  state_digest TEXT COLLATE "C" NOT NULL,
  time         TEXT COLLATE "C" NOT NULL,
  public_key   TEXT COLLATE "C" NOT NULL,
  signature    TEXT COLLATE "C" NOT NULL
);

-- Search, answering what SQLite's FTS5 table answers (porter stemming,
-- unicode61 with diacritics removed): English Snowball stemming with no stop
-- words (so that "the" or "not" find what they find in SQLite), unaccent
-- before it, and the characters that make PostgreSQL's parser read a tag, an
-- e-mail address, a URL, a host or a path (< > @ / . : &) replaced by control
-- characters it reads as blanks, so that words are words wherever they stand,
-- as in SQLite. pg_store.cc's search does the same to the query and the
-- snippets (and puts the characters back in what it shows).
-- The extension lives in a schema of its own, made once per database (under
-- a database-wide lock: trackers in other schemas may be migrating too).
SELECT pg_advisory_xact_lock(1919247220, 0);
CREATE SCHEMA IF NOT EXISTS rectrack_ext;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA rectrack_ext;
CREATE TEXT SEARCH DICTIONARY rectrack_english_stem (TEMPLATE = snowball, LANGUAGE = english);
CREATE TEXT SEARCH CONFIGURATION rectrack_english (COPY = english);
ALTER TEXT SEARCH CONFIGURATION rectrack_english
  ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
  WITH rectrack_ext.unaccent, rectrack_english_stem;

CREATE TABLE recommendation_search (
  id        BIGINT PRIMARY KEY,
  text      TEXT COLLATE "C" NOT NULL,
  responses TEXT COLLATE "C" NOT NULL,
  document  tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('rectrack_english',
                          translate(text, '<>@/.:&', E'\x0e\x0f\x10\x11\x12\x13\x14')), 'A') ||
    setweight(to_tsvector('rectrack_english',
                          translate(responses, '<>@/.:&', E'\x0e\x0f\x10\x11\x12\x13\x14')), 'B'))
    STORED
);
CREATE INDEX recommendation_search_document ON recommendation_search USING GIN (document);
)sql",
    // 2: contacts of owners, e-mail addresses of users, chase schedules and the
    // outbox of chasers (SQLite's migration 5).
    R"sql(
CREATE TABLE owner_contacts (
  id                BIGINT PRIMARY KEY,
  owner_id          BIGINT NOT NULL REFERENCES owners(id),
  email             TEXT COLLATE "C" NOT NULL,
  name              TEXT COLLATE "C" NOT NULL,
  role              TEXT COLLATE "C" NOT NULL,
  created_at        TEXT COLLATE "C" NOT NULL,
  unsubscribed_at   TEXT COLLATE "C",
  unsubscribe_token TEXT COLLATE "C" NOT NULL,
  UNIQUE (owner_id, email)
);
CREATE INDEX owner_contacts_owner ON owner_contacts(owner_id);

CREATE TABLE user_emails (
  user_id BIGINT PRIMARY KEY REFERENCES users(id),
  email   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE chase_schedules (
  kind          TEXT COLLATE "C" PRIMARY KEY,
  before_days   TEXT COLLATE "C" NOT NULL,
  overdue_every BIGINT NOT NULL,
  target_every  BIGINT NOT NULL,
  enabled       BIGINT NOT NULL
);

CREATE TABLE outbox (
  id              BIGINT PRIMARY KEY,
  kind            TEXT COLLATE "C" NOT NULL,
  contact_id      BIGINT,
  user_id         BIGINT,
  owner_id        BIGINT,
  recipient       TEXT COLLATE "C" NOT NULL,
  subject         TEXT COLLATE "C" NOT NULL,
  message_id      TEXT COLLATE "C" NOT NULL UNIQUE,
  message         TEXT COLLATE "C" NOT NULL,
  as_of           TEXT COLLATE "C" NOT NULL,
  queued_at       TEXT COLLATE "C" NOT NULL,
  state           TEXT COLLATE "C" NOT NULL,
  attempts        BIGINT NOT NULL,
  next_attempt_at TEXT COLLATE "C",
  claimed_by      TEXT COLLATE "C" NOT NULL,
  last_error      TEXT COLLATE "C" NOT NULL,
  sent_at         TEXT COLLATE "C"
);
CREATE INDEX outbox_state ON outbox(state);

CREATE TABLE chase_items (
  outbox_id     BIGINT NOT NULL REFERENCES outbox(id),
  assignment_id BIGINT NOT NULL,
  stage         TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (outbox_id, assignment_id, stage)
);
CREATE INDEX chase_items_assignment ON chase_items(assignment_id);
)sql",
    // 3: an implementation target date of each assignment's own (issue 9, item 5).
    R"sql(
CREATE TABLE assignment_targets (
  assignment_id BIGINT PRIMARY KEY REFERENCES assignments(id),
  target        TEXT COLLATE "C" NOT NULL
);
)sql",
    // 4: documents' drafts on the web (issue 11): work in progress, outside
    // the ledger like sessions (docs/ledger.md); confirming one is an import.
    R"sql(
CREATE TABLE document_drafts (
  id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  user_id     BIGINT NOT NULL,
  file_name   TEXT COLLATE "C" NOT NULL,
  file_sha256 TEXT COLLATE "C" NOT NULL,
  preset      TEXT COLLATE "C" NOT NULL,
  created_at  TEXT COLLATE "C" NOT NULL,
  updated_at  TEXT COLLATE "C" NOT NULL,
  version     BIGINT NOT NULL,
  items       BIGINT NOT NULL,
  draft       TEXT COLLATE "C" NOT NULL
);
)sql",
    // 5: the search vector blanks its seven characters with replace(), one
    // character at a time, instead of translate(): the same vector (each maps
    // one character to one), made in about 0.7 of the time, because
    // PostgreSQL's translate() costs more than the parsing and stemming of a
    // recommendation's text together. PostgreSQL 15 cannot change a generated
    // column's expression, so the column and its index are made again (every
    // vector is computed once more, in this migration's transaction).
    // The ledger's payloads, which hold whole imports, are compressed with lz4
    // where the server can (PostgreSQL 14 or later, built with lz4; pglz
    // otherwise): pglz was 7 % of a big import's time. Compression is below
    // the bytes that are hashed, so verify reads the same payloads either way.
    R"sql(
ALTER TABLE recommendation_search DROP COLUMN document;
ALTER TABLE recommendation_search ADD COLUMN document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('rectrack_english',
      replace(replace(replace(replace(replace(replace(replace(text,
        '<', E'\x0e'), '>', E'\x0f'), '@', E'\x10'), '/', E'\x11'), '.', E'\x12'),
        ':', E'\x13'), '&', E'\x14')), 'A') ||
    setweight(to_tsvector('rectrack_english',
      replace(replace(replace(replace(replace(replace(replace(responses,
        '<', E'\x0e'), '>', E'\x0f'), '@', E'\x10'), '/', E'\x11'), '.', E'\x12'),
        ':', E'\x13'), '&', E'\x14')), 'B'))
    STORED;
CREATE INDEX recommendation_search_document ON recommendation_search USING GIN (document);
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 140000 THEN
    BEGIN
      EXECUTE 'ALTER TABLE ledger ALTER COLUMN payload SET COMPRESSION lz4';
    EXCEPTION WHEN feature_not_supported THEN
      NULL;  -- a server built without lz4 keeps pglz
    END;
  END IF;
END
$$;
)sql",
};

}  // namespace rectrack::pg
