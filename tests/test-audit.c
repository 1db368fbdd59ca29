/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "ow-test-common.h"

/* Produces a little history: about twenty events after the catalogue import. */
static void
make_history (HallFixture *fixture)
{
  for (int i = 0; i < 4; i++)
    {
      g_autoptr(JsonObject) t = ow_hall_issue_ticket (fixture->hall, NULL, "biz", FALSE, NULL, NULL);
      g_autoptr(JsonObject) a = NULL;
      g_autoptr(JsonObject) b = NULL;
      g_autoptr(JsonObject) c = NULL;

      g_assert_nonnull (t);
      advance_minutes (fixture, 1);
      a = ow_hall_window_act (fixture->hall, NULL, "w1", OW_WINDOW_CALL, NULL, NULL);
      b = ow_hall_window_act (fixture->hall, NULL, "w1", OW_WINDOW_START, NULL, NULL);
      c = ow_hall_window_act (fixture->hall, NULL, "w1", OW_WINDOW_COMPLETE, NULL, NULL);
      g_assert_nonnull (c);
    }
}

static OwAuditVerdict
verify (HallFixture *fixture,
        gint64       anchor_seq,
        const char  *anchor_hex)
{
  g_autoptr(GError) error = NULL;
  OwAuditVerdict verdict = { 0 };

  g_assert_true (ow_audit_verify (fixture->db, anchor_seq, anchor_hex, &verdict, &error));
  g_assert_no_error (error);
  return verdict;
}

/* Tampering "behind the program's back": the attacker removes the database's protections. */
static void
drop_protection (HallFixture *fixture)
{
  g_autoptr(GError) error = NULL;

  ow_db_exec (fixture->db, "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete", &error);
  g_assert_no_error (error);
}

static void
exec_ok (HallFixture *fixture,
         const char  *sql)
{
  g_autoptr(GError) error = NULL;

  ow_db_exec (fixture->db, sql, &error);
  g_assert_no_error (error);
}

static void
assert_broken_at (HallFixture *fixture,
                  gint64       seq)
{
  g_auto(OwAuditVerdict) verdict = verify (fixture, 0, NULL);

  g_assert_false (verdict.ok);
  g_assert_cmpint (verdict.first_bad_seq, ==, seq);
  g_assert_nonnull (verdict.reason);
}

static void
test_intact (HallFixture   *fixture,
             gconstpointer  user_data)
{
  g_auto(OwAuditVerdict) verdict = { 0 };
  g_autoptr(sqlite3_stmt) stmt = NULL;

  make_history (fixture);
  verdict = verify (fixture, 0, NULL);
  g_assert_true (verdict.ok);
  g_assert_cmpint (verdict.events, ==, 1 + 4 * 4);
  g_assert_cmpint (verdict.head_seq, ==, verdict.events);

  /* The head hash is the stored hash of the last event. */
  stmt = ow_db_prepare (fixture->db, "SELECT hash FROM events ORDER BY seq DESC LIMIT 1", NULL);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpmem (sqlite3_column_blob (stmt, 0), 32, verdict.head, 32);
}

static void
test_append_only (HallFixture   *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  make_history (fixture);
  g_assert_false (ow_db_exec (fixture->db, "UPDATE events SET actor = 'x' WHERE seq = 2", &error));
  g_assert_error (error, OW_DB_ERROR, OW_DB_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "append-only"));
  g_clear_error (&error);
  g_assert_false (ow_db_exec (fixture->db, "DELETE FROM events WHERE seq = 2", &error));
  g_assert_error (error, OW_DB_ERROR, OW_DB_ERROR_CONSTRAINT);
}

static void
test_edited (HallFixture   *fixture,
             gconstpointer  user_data)
{
  make_history (fixture);
  drop_protection (fixture);
  exec_ok (fixture, "UPDATE events SET window = 'w5' WHERE seq = 6");
  assert_broken_at (fixture, 6);
}

static void
test_edited_time (HallFixture   *fixture,
                  gconstpointer  user_data)
{
  make_history (fixture);
  drop_protection (fixture);
  exec_ok (fixture, "UPDATE events SET at = at - 1 WHERE seq = 9");
  assert_broken_at (fixture, 9);
}

static void
test_deleted (HallFixture   *fixture,
              gconstpointer  user_data)
{
  make_history (fixture);
  drop_protection (fixture);
  exec_ok (fixture, "DELETE FROM events WHERE seq = 7");
  assert_broken_at (fixture, 7);
}

static void
test_deleted_last (HallFixture   *fixture,
                   gconstpointer  user_data)
{
  g_auto(OwAuditVerdict) before = { 0 };
  g_auto(OwAuditVerdict) after = { 0 };
  char hex[65];

  /* Cutting the tail leaves a valid shorter chain: only a published head catches it. */
  make_history (fixture);
  before = verify (fixture, 0, NULL);
  sodium_bin2hex (hex, sizeof hex, before.head, sizeof before.head);
  drop_protection (fixture);
  exec_ok (fixture, "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)");
  after = verify (fixture, before.head_seq, hex);
  g_assert_false (after.ok);
  g_assert_cmpint (after.first_bad_seq, ==, before.head_seq);
}

static void
test_inserted (HallFixture   *fixture,
               gconstpointer  user_data)
{
  make_history (fixture);
  drop_protection (fixture);
  /* Make room at 5 (negate first so the primary key never collides), then forge an event. */
  exec_ok (fixture, "UPDATE events SET seq = -seq - 1 WHERE seq >= 5;"
                    "UPDATE events SET seq = -seq WHERE seq < 0;"
                    "INSERT INTO events (seq, at, actor, terminal, window, ticket, ticket_id, action, details, hash)"
                    " SELECT 5, at, actor, terminal, window, ticket, ticket_id, 'no-show', details, hash"
                    " FROM events WHERE seq = 4");
  assert_broken_at (fixture, 5);
}

static void
test_appended_forgery (HallFixture   *fixture,
                       gconstpointer  user_data)
{
  make_history (fixture);
  exec_ok (fixture, "INSERT INTO events (seq, at, actor, action, details, hash)"
                    " SELECT max(seq) + 1, 0, 'staff:x', 'call', '{}', randomblob (32) FROM events");
  assert_broken_at (fixture, 18);
}

static void
test_reordered (HallFixture   *fixture,
                gconstpointer  user_data)
{
  make_history (fixture);
  drop_protection (fixture);
  exec_ok (fixture, "UPDATE events SET seq = -1 WHERE seq = 10;"
                    "UPDATE events SET seq = 10 WHERE seq = 11;"
                    "UPDATE events SET seq = 11 WHERE seq = -1");
  assert_broken_at (fixture, 10);
}

/* Rewrites event @seq and recomputes every hash after it, as a knowing attacker would. */
static void
rewrite_history (HallFixture *fixture,
                 gint64       seq)
{
  g_autoptr(sqlite3_stmt) rows = NULL;
  g_autoptr(GArray) hashes = g_array_new (FALSE, FALSE, 32);
  guint8 prev[32] = { 0 };

  drop_protection (fixture);
  {
    g_autofree char *sql = g_strdup_printf ("UPDATE events SET window = 'w9' WHERE seq = %" G_GINT64_FORMAT, seq);

    exec_ok (fixture, sql);
  }
  rows = ow_db_prepare (fixture->db, "SELECT " OW_AUDIT_COLUMNS " FROM events ORDER BY seq", NULL);
  while (sqlite3_step (rows) == SQLITE_ROW)
    {
      OwAuditEvent event = {
        .at = sqlite3_column_int64 (rows, 1),
        .actor = ow_db_column_text (rows, 2),
        .terminal = ow_db_column_text (rows, 3),
        .window = ow_db_column_text (rows, 4),
        .ticket = ow_db_column_text (rows, 5),
        .ticket_id = sqlite3_column_int64 (rows, 6),
        .action = ow_db_column_text (rows, 7),
        .details = ow_db_column_text (rows, 8),
      };
      guint8 hash[32];

      ow_audit_hash_event (prev, sqlite3_column_int64 (rows, 0), &event, hash);
      g_array_append_vals (hashes, hash, 1);
      memcpy (prev, hash, 32);
    }
  ow_db_release (g_steal_pointer (&rows));

  for (guint i = 0; i < hashes->len; i++)
    {
      g_autoptr(sqlite3_stmt) update = ow_db_prepare (fixture->db, "UPDATE events SET hash = ?2 WHERE seq = ?1", NULL);

      sqlite3_bind_int64 (update, 1, i + 1);
      sqlite3_bind_blob (update, 2, &g_array_index (hashes, guint8, i * 32), 32, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (update), ==, SQLITE_DONE);
    }
}

static void
test_anchor (HallFixture   *fixture,
             gconstpointer  user_data)
{
  g_auto(OwAuditVerdict) published = { 0 };
  g_auto(OwAuditVerdict) good = { 0 };
  g_auto(OwAuditVerdict) rewritten = { 0 };
  g_auto(OwAuditVerdict) anchored = { 0 };
  g_auto(OwAuditVerdict) beyond = { 0 };
  char hex[65];

  make_history (fixture);
  published = verify (fixture, 0, NULL);
  sodium_bin2hex (hex, sizeof hex, published.head, sizeof published.head);

  /* The hall goes on working; the published head stays on the chain. */
  make_history (fixture);
  good = verify (fixture, published.head_seq, hex);
  g_assert_true (good.ok);
  g_assert_cmpint (good.events, >, published.events);

  /* A rewrite with every hash recomputed fools the chain alone, not the anchor. */
  rewrite_history (fixture, 5);
  rewritten = verify (fixture, 0, NULL);
  g_assert_true (rewritten.ok);
  anchored = verify (fixture, published.head_seq, hex);
  g_assert_false (anchored.ok);
  g_assert_cmpint (anchored.first_bad_seq, ==, published.head_seq);

  beyond = verify (fixture, 100000, hex);
  g_assert_false (beyond.ok);
  g_assert_cmpint (beyond.first_bad_seq, ==, 100000);
}

static void
test_parse_anchor (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = NULL;
  gint64 seq = 0;
  const char *good = "12:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

  g_assert_true (ow_audit_parse_anchor (good, &seq, &hex, &error));
  g_assert_cmpint (seq, ==, 12);
  g_assert_cmpstr (hex, ==, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  g_assert_false (ow_audit_parse_anchor ("12", &seq, &hex, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ow_audit_parse_anchor ("x:00", &seq, &hex, &error));
  g_clear_error (&error);
  g_assert_false (ow_audit_parse_anchor ("3:abc", &seq, &hex, &error));
  g_clear_error (&error);
}

/* The accelerated SHA-256 (x86 SHA extensions) must agree with libsodium's at every length
 * around the block and padding boundaries, and beyond. */
static void
test_sha256 (void)
{
  guint8 data[700];

  g_test_message ("SHA-256 accelerated: %s", ow_sha256_accelerated () ? "yes" : "no");
  for (gsize len = 0; len < sizeof data; len++)
    {
      guint8 ours[32], reference[32];

      for (gsize i = 0; i < len; i++)
        data[i] = (guint8) (i * 31 + len);
      ow_sha256 (data, len, ours);
      crypto_hash_sha256 (reference, data, len);
      g_assert_cmpmem (ours, 32, reference, 32);
    }
}

static void
test_export (HallFixture   *fixture,
             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) jsonl = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) csv = g_memory_output_stream_new_resizable ();
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;

  make_history (fixture);
  g_assert_true (ow_audit_export (fixture->db, OW_AUDIT_FORMAT_JSONL, 10, jsonl, &error));
  g_assert_no_error (error);
  g_output_stream_write_all (jsonl, "", 1, NULL, NULL, NULL);
  lines = g_strsplit (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (jsonl)), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 17 - 10 + 1);
  first = json_from_string (lines[0], &error);
  g_assert_no_error (error);
  object = json_node_get_object (first);
  g_assert_cmpint (json_object_get_int_member (object, "seq"), ==, 11);
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "hash")), ==, 64);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "details")));

  g_assert_true (ow_audit_export (fixture->db, OW_AUDIT_FORMAT_CSV, 0, csv, &error));
  g_output_stream_write_all (csv, "", 1, NULL, NULL, NULL);
  text = g_strdup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (csv)));
  g_assert_true (g_str_has_prefix (text, "seq,time,actor,terminal,window,ticket,action,details,hash\n1,"));
  g_strfreev (lines);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 17 + 1);
  /* Details hold commas and quotes, so they are quoted and doubled. */
  g_assert_nonnull (strstr (lines[2], ",\"{\"\""));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, HallFixture, NULL, hall_fixture_set_up, fn, hall_fixture_tear_down)
  ADD ("/ow/audit/intact", test_intact);
  ADD ("/ow/audit/append-only", test_append_only);
  ADD ("/ow/audit/tamper/edited", test_edited);
  ADD ("/ow/audit/tamper/edited-time", test_edited_time);
  ADD ("/ow/audit/tamper/deleted", test_deleted);
  ADD ("/ow/audit/tamper/deleted-last", test_deleted_last);
  ADD ("/ow/audit/tamper/inserted", test_inserted);
  ADD ("/ow/audit/tamper/appended-forgery", test_appended_forgery);
  ADD ("/ow/audit/tamper/reordered", test_reordered);
  ADD ("/ow/audit/anchor", test_anchor);
  ADD ("/ow/audit/export", test_export);
#undef ADD
  g_test_add_func ("/ow/audit/parse-anchor", test_parse_anchor);
  g_test_add_func ("/ow/audit/sha256", test_sha256);

  return g_test_run ();
}
