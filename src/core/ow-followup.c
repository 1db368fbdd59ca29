/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-followup.h"

#include <glib/gi18n-lib.h>

#include "ow-audit.h"
#include "ow-json.h"
#include "ow-public.h"

/* In the order a follow-up usually goes; 'appealed' may come at any point before the end. */
static const char * const states[] = { "open", "verified", "contacted", "appealed", "fixed", "explained" };

gboolean
ow_followup_is_state (const char *state)
{
  return state != NULL && g_strv_contains ((const char * const *) states, state);
}

const char *
ow_followup_state_label (const char *state)
{
  if (g_strcmp0 (state, "open") == 0)
    return C_("follow-up", "open");
  if (g_strcmp0 (state, "verified") == 0)
    return C_("follow-up", "verified");
  if (g_strcmp0 (state, "contacted") == 0)
    return C_("follow-up", "citizen contacted");
  if (g_strcmp0 (state, "appealed") == 0)
    return C_("follow-up", "appealed");
  if (g_strcmp0 (state, "fixed") == 0)
    return C_("follow-up", "fixed");
  if (g_strcmp0 (state, "explained") == 0)
    return C_("follow-up", "explained");
  return state;
}

static gboolean
is_final (const char *state)
{
  return g_strcmp0 (state, "fixed") == 0 || g_strcmp0 (state, "explained") == 0;
}

static int
rank (const char *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    if (g_strcmp0 (states[i], state) == 0)
      return (int) i;
  return -1;
}

static gboolean
may_move (const char *from,
          const char *to)
{
  if (is_final (from) || g_strcmp0 (to, "open") == 0 || g_strcmp0 (from, to) == 0)
    return FALSE;
  /* An appeal may be followed by anything; otherwise a follow-up only moves forward. */
  return g_strcmp0 (from, "appealed") == 0 || g_strcmp0 (to, "appealed") == 0 || rank (to) > rank (from);
}

int
ow_followup_days (OwDb *db)
{
  return (int) ow_db_get_setting_number (db, "followup_days", 1, 60, OW_FOLLOWUP_DAYS_DEFAULT);
}

#define LIST_COLUMNS "r.id, t.number, r.day, r.service, r.level, r.comment, r.staff, r.window," \
                     " r.followup, r.followup_due, r.followup_at"

static JsonObject *
row_to_json (OwHall       *hall,
             sqlite3_stmt *row,
             const char   *today)
{
  OwDb *db = ow_hall_get_db (hall);
  OwClock *clock = ow_hall_get_clock (hall);
  g_autoptr(sqlite3_stmt) notes = NULL;
  JsonObject *entry = json_object_new ();
  JsonArray *list = json_array_new ();
  const char *state = ow_db_column_text (row, 8);
  const char *due = ow_db_column_text (row, 9);

  json_object_set_int_member (entry, "id", sqlite3_column_int64 (row, 0));
  json_object_set_string_member (entry, "ticket", ow_db_column_text (row, 1));
  json_object_set_string_member (entry, "day", ow_db_column_text (row, 2));
  json_object_set_string_member (entry, "service", ow_db_column_text (row, 3));
  json_object_set_int_member (entry, "level", sqlite3_column_int (row, 4));
  ow_json_set_string_or_null (entry, "comment", ow_db_column_text (row, 5));
  ow_json_set_string_or_null (entry, "staff", ow_db_column_text (row, 6));
  ow_json_set_string_or_null (entry, "window", ow_db_column_text (row, 7));
  json_object_set_string_member (entry, "state", state);
  json_object_set_string_member (entry, "due", due);
  json_object_set_boolean_member (entry, "overdue", !is_final (state) && g_strcmp0 (due, today) < 0);
  if (sqlite3_column_type (row, 10) != SQLITE_NULL)
    {
      g_autofree char *at = ow_clock_format_iso (clock, sqlite3_column_int64 (row, 10));

      json_object_set_string_member (entry, "updated_at", at);
    }
  else
    json_object_set_null_member (entry, "updated_at");

  notes = ow_db_prepare (db, "SELECT at, actor, state, note FROM followup_notes WHERE rating = ?1 ORDER BY id",
                         NULL);
  if (notes != NULL)
    {
      sqlite3_bind_int64 (notes, 1, sqlite3_column_int64 (row, 0));
      while (sqlite3_step (notes) == SQLITE_ROW)
        {
          JsonObject *note = json_object_new ();
          g_autofree char *at = ow_clock_format_iso (clock, sqlite3_column_int64 (notes, 0));

          json_object_set_string_member (note, "at", at);
          json_object_set_string_member (note, "actor", ow_db_column_text (notes, 1));
          json_object_set_string_member (note, "state", ow_db_column_text (notes, 2));
          json_object_set_string_member (note, "note", ow_db_column_text (notes, 3));
          json_array_add_object_element (list, note);
        }
    }
  json_object_set_array_member (entry, "notes", list);
  return entry;
}

JsonArray *
ow_followup_list (OwHall      *hall,
                  gboolean     all,
                  const char  *from_day,
                  const char  *to_day,
                  GError     **error)
{
  OwDb *db;
  OwClock *clock;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) list = json_array_new ();
  g_autofree char *today = NULL;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  db = ow_hall_get_db (hall);
  clock = ow_hall_get_clock (hall);
  today = ow_clock_day (clock, ow_clock_now (clock));
  if (!ow_db_begin (db, FALSE, error))
    return NULL;
  stmt = ow_db_prepare (db,
                        "SELECT " LIST_COLUMNS " FROM ratings r JOIN tickets t ON t.id = r.ticket"
                        " WHERE r.followup IS NOT NULL AND (?1 OR r.followup NOT IN ('fixed', 'explained'))"
                        " AND r.day BETWEEN ?2 AND ?3 ORDER BY r.followup_due, r.id",
                        error);
  if (stmt == NULL)
    {
      ow_db_rollback (db);
      return NULL;
    }
  sqlite3_bind_int (stmt, 1, all);
  sqlite3_bind_text (stmt, 2, from_day != NULL ? from_day : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, to_day != NULL ? to_day : "9999", -1, SQLITE_STATIC);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    json_array_add_object_element (list, row_to_json (hall, stmt, today));
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&list);
}

static gboolean
check_note (const char  *note,
            GError     **error)
{
  const char *p = note;

  while (p != NULL && g_ascii_isspace (*p))
    p++;
  if (note == NULL || !g_utf8_validate (note, -1, NULL) || *p == '\0')
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("a follow-up needs a note saying what was done"));
      return FALSE;
    }
  if (g_utf8_strlen (note, -1) > OW_FOLLOWUP_NOTE_MAX)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("a follow-up note has at most %d characters"), OW_FOLLOWUP_NOTE_MAX);
      return FALSE;
    }
  return TRUE;
}

JsonObject *
ow_followup_move (OwHall         *hall,
                  const OwActor  *actor,
                  gint64          id,
                  const char     *state,
                  const char     *note,
                  const char     *owner,
                  GError        **error)
{
  OwDb *db;
  OwClock *clock;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *details_json = NULL;
  g_autofree char *from = NULL;
  g_autofree char *staff = NULL;
  g_autofree char *window = NULL;
  g_autofree char *number = NULL;
  g_autofree char *note_hash = NULL;
  g_autofree char *today = NULL;
  OwAuditEvent event = { 0 };
  JsonObject *result = NULL;
  gint64 ticket_id, now, seq = 0;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  if (!ow_followup_is_state (state))
    {
      /* Translators: the state asked for; the list is of the names to type. */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("'%s' is not a follow-up state (verified, contacted, appealed, fixed, explained)"),
                   state != NULL ? state : "");
      return NULL;
    }
  if (!check_note (note, error))
    return NULL;

  db = ow_hall_get_db (hall);
  clock = ow_hall_get_clock (hall);
  if (!ow_db_begin (db, TRUE, error))
    return NULL;
  now = ow_clock_now (clock);

  stmt = ow_db_prepare (db,
                        "SELECT r.followup, r.staff, r.window, t.number, t.id FROM ratings r"
                        " JOIN tickets t ON t.id = r.ticket WHERE r.id = ?1",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = ow_db_step_row (db, stmt, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_DONE || sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND,
                   _("no bad rating %lld to follow up"), (long long) id);
      goto fail;
    }
  from = g_strdup (ow_db_column_text (stmt, 0));
  staff = g_strdup (ow_db_column_text (stmt, 1));
  window = g_strdup (ow_db_column_text (stmt, 2));
  number = g_strdup (ow_db_column_text (stmt, 3));
  ticket_id = sqlite3_column_int64 (stmt, 4);
  ow_db_release (g_steal_pointer (&stmt));

  if (owner != NULL && (g_strcmp0 (state, "appealed") != 0 || g_strcmp0 (owner, staff) != 0))
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_ALLOWED,
                   _("staff may only appeal a bad rating of their own; supervisors follow it up"));
      goto fail;
    }
  if (!may_move (from, state))
    {
      /* Translators: the rating's number, then two follow-up states such as "fixed". */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE,
                   _("the follow-up of rating %lld is %s: it cannot become %s"),
                   (long long) id, ow_followup_state_label (from), ow_followup_state_label (state));
      goto fail;
    }

  note_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, note, -1);
  json_object_set_int_member (details, "rating", id);
  json_object_set_string_member (details, "from", from);
  json_object_set_string_member (details, "state", state);
  json_object_set_string_member (details, "note_sha256", note_hash);
  if (staff != NULL)
    json_object_set_string_member (details, "staff", staff);
  details_json = ow_json_object_to_text (details);
  event.at = now;
  event.actor = actor != NULL && actor->actor != NULL ? actor->actor : "system";
  event.terminal = actor != NULL ? actor->terminal : NULL;
  event.window = window;
  event.ticket = number;
  event.ticket_id = ticket_id;
  event.action = "follow_up";
  event.details = details_json;
  if (!ow_audit_append (db, &event, &seq, error))
    goto fail;

  stmt = ow_db_prepare (db, "UPDATE ratings SET followup = ?2, followup_at = ?3 WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, state, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!ow_db_step_done (db, stmt, error))
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));

  stmt = ow_db_prepare (db,
                        "INSERT INTO followup_notes (rating, at, actor, state, note, seq)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_text (stmt, 3, event.actor, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, state, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, note, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, seq);
  if (!ow_db_step_done (db, stmt, error))
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));

  stmt = ow_db_prepare (db,
                        "SELECT " LIST_COLUMNS " FROM ratings r JOIN tickets t ON t.id = r.ticket WHERE r.id = ?1",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  if (ow_db_step_row (db, stmt, error) != SQLITE_ROW)
    goto fail;
  today = ow_clock_day (clock, now);
  result = row_to_json (hall, stmt, today);
  ow_db_release (g_steal_pointer (&stmt));
  if (!ow_db_commit (db, error))
    {
      json_object_unref (result);
      return NULL;
    }
  return result;

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return NULL;
}
