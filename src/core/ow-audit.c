/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-audit.h"

#include "ow-clock.h"

#include "ow-sha256.h"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The canonical encoding of an event, which its hash covers after the previous hash: each
 * field in a fixed order (seq, at, actor, terminal, window, ticket, ticket_id, action,
 * details) as a 4-byte big-endian length and its UTF-8 bytes, a missing field as the length
 * 0xffffffff.  Numbers are written in decimal.  Lengths make the encoding unambiguous, so no
 * two different events share one. */
static inline void
encode_field (GByteArray *out,
              const char *value,
              gsize       len)
{
  guint32 n = value != NULL ? (guint32) len : 0xffffffffu;
  guint old_len = out->len;
  guint8 *p;

  g_byte_array_set_size (out, old_len + 4 + (value != NULL ? len : 0));
  p = out->data + old_len;
  p[0] = n >> 24;
  p[1] = n >> 16;
  p[2] = n >> 8;
  p[3] = n;
  if (value != NULL)
    memcpy (p + 4, value, len);
}

static inline void
encode_string (GByteArray *out,
               const char *value)
{
  encode_field (out, value, value != NULL ? strlen (value) : 0);
}

/* Decimal without printf: verification encodes two numbers for every event. */
static inline void
encode_number (GByteArray *out,
               gint64      value)
{
  char buf[24];
  char *end = buf + sizeof buf;
  char *p = end;
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;

  do
    *--p = '0' + magnitude % 10;
  while ((magnitude /= 10) != 0);
  if (value < 0)
    *--p = '-';
  encode_field (out, p, end - p);
}

/* Appends the bytes that an event's hash covers: the previous hash, then the fields. */
void
ow_audit_encode_event (GByteArray         *out,
                       const guint8       *prev_hash,
                       gint64              seq,
                       const OwAuditEvent *event)
{
  static const guint8 genesis[OW_AUDIT_HASH_LEN] = { 0 };

  g_byte_array_append (out, prev_hash != NULL ? prev_hash : genesis, OW_AUDIT_HASH_LEN);
  encode_number (out, seq);
  encode_number (out, event->at);
  encode_string (out, event->actor);
  encode_string (out, event->terminal);
  encode_string (out, event->window);
  encode_string (out, event->ticket);
  if (event->ticket_id > 0)
    encode_number (out, event->ticket_id);
  else
    encode_field (out, NULL, 0);
  encode_string (out, event->action);
  encode_string (out, event->details);
}

static void
hash_with (GByteArray         *scratch,
           const guint8       *prev_hash,
           gint64              seq,
           const OwAuditEvent *event,
           guint8             *out_hash)
{
  g_byte_array_set_size (scratch, 0);
  ow_audit_encode_event (scratch, prev_hash, seq, event);
  ow_sha256 (scratch->data, scratch->len, out_hash);
}

void
ow_audit_hash_event (const guint8       *prev_hash,
                     gint64              seq,
                     const OwAuditEvent *event,
                     guint8             *out_hash)
{
  g_autoptr(GByteArray) scratch = g_byte_array_sized_new (512);

  hash_with (scratch, prev_hash, seq, event, out_hash);
}

gint64
ow_audit_head_seq (OwDb *db)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, "SELECT max(seq) FROM events", NULL);

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  return 0;
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           column,
                   const char   *value)
{
  if (value != NULL)
    sqlite3_bind_text (stmt, column, value, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, column);
}

/* Must run inside the caller's write transaction, so the event and the change it records
 * commit together or not at all. */
gboolean
ow_audit_append (OwDb                *db,
                 const OwAuditEvent  *event,
                 gint64              *out_seq,
                 GError             **error)
{
  g_autoptr(sqlite3_stmt) last = NULL;
  g_autoptr(sqlite3_stmt) insert = NULL;
  guint8 prev[OW_AUDIT_HASH_LEN] = { 0 };
  guint8 hash[OW_AUDIT_HASH_LEN];
  OwAuditEvent stored;
  gint64 seq = 1;
  int rc;

  g_return_val_if_fail (OW_IS_DB (db), FALSE);
  g_return_val_if_fail (event != NULL && event->action != NULL, FALSE);
  g_return_val_if_fail (ow_db_in_transaction (db), FALSE);

  /* Hash exactly what is stored. */
  stored = *event;
  if (stored.actor == NULL)
    stored.actor = "system";
  if (stored.details == NULL)
    stored.details = "{}";
  event = &stored;

  last = ow_db_prepare (db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", error);
  if (last == NULL)
    return FALSE;
  rc = ow_db_step_row (db, last, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      seq = sqlite3_column_int64 (last, 0) + 1;
      if (sqlite3_column_bytes (last, 1) == OW_AUDIT_HASH_LEN)
        memcpy (prev, sqlite3_column_blob (last, 1), OW_AUDIT_HASH_LEN);
    }
  ow_db_release (g_steal_pointer (&last));

  ow_audit_hash_event (prev, seq, event, hash);

  insert = ow_db_prepare (db,
                          "INSERT INTO events (seq, at, actor, terminal, window, ticket, ticket_id, "
                          "action, details, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                          error);
  if (insert == NULL)
    return FALSE;
  sqlite3_bind_int64 (insert, 1, seq);
  sqlite3_bind_int64 (insert, 2, event->at);
  sqlite3_bind_text (insert, 3, event->actor, -1, SQLITE_STATIC);
  bind_text_or_null (insert, 4, event->terminal);
  bind_text_or_null (insert, 5, event->window);
  bind_text_or_null (insert, 6, event->ticket);
  if (event->ticket_id > 0)
    sqlite3_bind_int64 (insert, 7, event->ticket_id);
  else
    sqlite3_bind_null (insert, 7);
  sqlite3_bind_text (insert, 8, event->action, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 9, event->details, -1, SQLITE_STATIC);
  sqlite3_bind_blob (insert, 10, hash, sizeof hash, SQLITE_STATIC);
  if (!ow_db_step_done (db, insert, error))
    return FALSE;

  /* A ticket remembers where its history lies in the log, which spares the log an index
   * (and every append a page write). */
  if (event->ticket_id > 0)
    {
      g_autoptr(sqlite3_stmt) mark = NULL;

      mark = ow_db_prepare (db,
                            "UPDATE tickets SET first_seq = coalesce (first_seq, ?2), last_seq = ?2"
                            " WHERE id = ?1",
                            error);
      if (mark == NULL)
        return FALSE;
      sqlite3_bind_int64 (mark, 1, event->ticket_id);
      sqlite3_bind_int64 (mark, 2, seq);
      if (!ow_db_step_done (db, mark, error))
        return FALSE;
    }

  if (out_seq != NULL)
    *out_seq = seq;
  return TRUE;
}

static gboolean
parse_hex_hash (const char *hex,
                guint8     *out)
{
  size_t bin_len = 0;

  if (hex == NULL || strlen (hex) != OW_AUDIT_HASH_LEN * 2)
    return FALSE;
  return sodium_hex2bin (out, OW_AUDIT_HASH_LEN, hex, strlen (hex), NULL, &bin_len, NULL) == 0 &&
         bin_len == OW_AUDIT_HASH_LEN;
}

gboolean
ow_audit_parse_anchor (const char  *text,
                       gint64      *seq,
                       char       **hex,
                       GError     **error)
{
  const char *colon = text != NULL ? strchr (text, ':') : NULL;
  guint8 hash[OW_AUDIT_HASH_LEN];
  g_autofree char *seq_text = NULL;
  guint64 value = 0;

  if (colon == NULL)
    {
      /* Translators: an anchor is written SEQ:HASH, an event's sequence number and its hash;
       * keep SEQ:HASH as it is. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("anchor '%s' is not SEQ:HASH"), text != NULL ? text : "");
      return FALSE;
    }
  seq_text = g_strndup (text, colon - text);
  if (!g_ascii_string_to_unsigned (seq_text, 10, 1, G_MAXINT64, &value, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("anchor '%s': '%s' is not a sequence number"), text, seq_text);
      return FALSE;
    }
  if (!parse_hex_hash (colon + 1, hash))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("anchor '%s': the hash must be 64 hexadecimal digits"), text);
      return FALSE;
    }
  *seq = (gint64) value;
  *hex = g_ascii_strdown (colon + 1, -1);
  return TRUE;
}

void
ow_audit_verdict_clear (OwAuditVerdict *verdict)
{
  g_clear_pointer (&verdict->reason, g_free);
}

static gboolean
fail_at (OwAuditVerdict *verdict,
         gint64          seq,
         const char     *reason)
{
  verdict->ok = FALSE;
  verdict->first_bad_seq = seq;
  verdict->reason = g_strdup (reason);
  return TRUE;
}

/* Recomputes the chain from the first event.  Returns FALSE only when the database cannot be
 * read; a broken chain is a verdict, not an error. */
gboolean
ow_audit_verify (OwDb           *db,
                 gint64          anchor_seq,
                 const char     *anchor_hex,
                 OwAuditVerdict *verdict,
                 GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint8 anchor[OW_AUDIT_HASH_LEN];
  guint8 prev[OW_AUDIT_HASH_LEN] = { 0 };
  g_autoptr(GByteArray) scratch = g_byte_array_sized_new (1024);
  gboolean anchor_seen = FALSE;
  gint64 expected = 1;
  int rc;

  g_return_val_if_fail (OW_IS_DB (db), FALSE);
  g_return_val_if_fail (verdict != NULL, FALSE);

  memset (verdict, 0, sizeof *verdict);
  verdict->ok = TRUE;

  if (anchor_seq > 0 && !parse_hex_hash (anchor_hex, anchor))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the anchor hash must be 64 hexadecimal digits"));
      return FALSE;
    }

  /* One read transaction, so a concurrent writer cannot make us see half a chain. */
  if (!ow_db_begin (db, FALSE, error))
    return FALSE;

  stmt = ow_db_prepare (db, "SELECT " OW_AUDIT_COLUMNS " FROM events ORDER BY seq", error);
  if (stmt == NULL)
    {
      ow_db_rollback (db);
      return FALSE;
    }

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      OwAuditEvent event;
      guint8 hash[OW_AUDIT_HASH_LEN];
      gint64 seq = sqlite3_column_int64 (stmt, 0);

      if (seq != expected)
        {
          fail_at (verdict, expected,
                   seq > expected ? _("event missing from the sequence") : _("sequence out of order"));
          break;
        }

      event.at = sqlite3_column_int64 (stmt, 1);
      event.actor = ow_db_column_text (stmt, 2);
      event.terminal = ow_db_column_text (stmt, 3);
      event.window = ow_db_column_text (stmt, 4);
      event.ticket = ow_db_column_text (stmt, 5);
      event.ticket_id = sqlite3_column_int64 (stmt, 6);
      event.action = ow_db_column_text (stmt, 7);
      event.details = ow_db_column_text (stmt, 8);
      hash_with (scratch, prev, seq, &event, hash);

      /* Hashes are public: a plain comparison is fine. */
      if (sqlite3_column_bytes (stmt, 9) != OW_AUDIT_HASH_LEN ||
          memcmp (hash, sqlite3_column_blob (stmt, 9), OW_AUDIT_HASH_LEN) != 0)
        {
          fail_at (verdict, seq, _("hash does not match the event and its predecessor"));
          break;
        }

      if (seq == anchor_seq)
        {
          anchor_seen = TRUE;
          if (memcmp (hash, anchor, OW_AUDIT_HASH_LEN) != 0)
            {
              fail_at (verdict, seq, _("chain does not pass through the published anchor"));
              break;
            }
        }

      memcpy (prev, hash, sizeof prev);
      verdict->events++;
      verdict->head_seq = seq;
      expected++;
    }
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);

  if (rc < 0)
    return FALSE;

  if (verdict->ok && anchor_seq > 0 && !anchor_seen)
    fail_at (verdict, anchor_seq, _("the published anchor is beyond the end of the log"));

  memcpy (verdict->head, prev, sizeof prev);
  return TRUE;
}

JsonObject *
ow_audit_event_to_json (sqlite3_stmt *row)
{
  JsonObject *object = json_object_new ();
  const char *details = ow_db_column_text (row, 8);
  g_autoptr(JsonNode) details_node = NULL;
  char hex[OW_AUDIT_HASH_LEN * 2 + 1] = "";

  json_object_set_int_member (object, "seq", sqlite3_column_int64 (row, 0));
  json_object_set_int_member (object, "at", sqlite3_column_int64 (row, 1));
  {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (sqlite3_column_int64 (row, 1) / G_USEC_PER_SEC);
    g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, ow_clock_local_zone ());
    g_autofree char *time = g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");

    json_object_set_string_member (object, "time", time);
  }
  json_object_set_string_member (object, "actor", ow_db_column_text (row, 2));
  json_object_set_string_member (object, "terminal", ow_db_column_text (row, 3));
  json_object_set_string_member (object, "window", ow_db_column_text (row, 4));
  json_object_set_string_member (object, "ticket", ow_db_column_text (row, 5));
  json_object_set_string_member (object, "action", ow_db_column_text (row, 7));
  details_node = json_from_string (details != NULL ? details : "{}", NULL);
  if (details_node != NULL)
    json_object_set_member (object, "details", g_steal_pointer (&details_node));
  else
    json_object_set_string_member (object, "details", details);
  if (sqlite3_column_bytes (row, 9) == OW_AUDIT_HASH_LEN)
    sodium_bin2hex (hex, sizeof hex, sqlite3_column_blob (row, 9), OW_AUDIT_HASH_LEN);
  json_object_set_string_member (object, "hash", hex);
  return object;
}

static char *
csv_quote (const char *value)
{
  GString *out;

  if (value == NULL)
    return g_strdup ("");
  if (strpbrk (value, ",\"\r\n") == NULL)
    return g_strdup (value);
  out = g_string_new ("\"");
  for (const char *p = value; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

gboolean
ow_audit_export (OwDb           *db,
                 OwAuditFormat   format,
                 gint64          since_seq,
                 GOutputStream  *out,
                 GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GString) line = g_string_new (NULL);
  int rc;

  if (!ow_db_begin (db, FALSE, error))
    return FALSE;
  stmt = ow_db_prepare (db, "SELECT " OW_AUDIT_COLUMNS " FROM events WHERE seq > ?1 ORDER BY seq",
                        error);
  if (stmt == NULL)
    {
      ow_db_rollback (db);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, since_seq);

  if (format == OW_AUDIT_FORMAT_CSV &&
      !g_output_stream_write_all (out, "seq,time,actor,terminal,window,ticket,action,details,hash\n",
                                  strlen ("seq,time,actor,terminal,window,ticket,action,details,hash\n"),
                                  NULL, NULL, error))
    goto fail;

  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(JsonObject) object = ow_audit_event_to_json (stmt);

      g_string_truncate (line, 0);
      if (format == OW_AUDIT_FORMAT_JSONL)
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
          g_autofree char *text = NULL;

          json_generator_set_root (generator, node);
          text = json_generator_to_data (generator, NULL);
          g_string_append (line, text);
        }
      else
        {
          const char *fields[] = {
            json_object_get_string_member (object, "time"),
            json_object_get_string_member (object, "actor"),
            json_object_get_string_member (object, "terminal"),
            json_object_get_string_member (object, "window"),
            json_object_get_string_member (object, "ticket"),
            json_object_get_string_member (object, "action"),
            ow_db_column_text (stmt, 8),
            json_object_get_string_member (object, "hash"),
          };

          g_string_append_printf (line, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, 0));
          for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
            {
              g_autofree char *quoted = csv_quote (fields[i]);

              g_string_append_c (line, ',');
              g_string_append (line, quoted);
            }
        }
      g_string_append_c (line, '\n');
      if (!g_output_stream_write_all (out, line->str, line->len, NULL, NULL, error))
        goto fail;
    }
  if (rc < 0)
    goto fail;

  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return TRUE;

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return FALSE;
}
