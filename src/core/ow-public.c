/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-public.h"

#include "ow-catalog.h"
#include "ow-followup.h"
#include "ow-json.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

/* What a citizen sees and does without signing in: the status of a ticket (its token is the
 * key) and the rating of the service afterwards (好差评). */

#define MIN_SAMPLES 3
#define TOKEN_LEN 32

gboolean
ow_public_valid_token (const char *token)
{
  if (token == NULL || strlen (token) != TOKEN_LEN)
    return FALSE;
  for (const char *p = token; *p; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

static JsonNode *
json_from_text (const char *text)
{
  JsonNode *node = text != NULL ? json_from_string (text, NULL) : NULL;

  return node != NULL ? node : json_node_new (JSON_NODE_NULL);
}

gint64
ow_public_estimate_wait (OwHall     *hall,
                         JsonObject *ticket)
{
  OwDb *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *today = NULL;
  g_autofree char *key = NULL;
  const char *step, *target;
  gint64 ahead, windows = 1;
  double mean = 0;

  g_return_val_if_fail (OW_IS_HALL (hall), 0);

  if (g_strcmp0 (json_object_get_string_member_with_default (ticket, "state", ""), "waiting") != 0)
    return 0;
  step = json_object_get_string_member_with_default (ticket, "step", NULL);
  target = json_object_get_string_member_with_default (ticket, "target_window", NULL);
  ahead = json_object_get_int_member_with_default (ticket, "ahead", 0);
  if (step == NULL || ahead <= 0)
    return 0;

  db = ow_hall_get_db (hall);
  today = ow_clock_day (ow_hall_get_clock (hall), ow_clock_now (ow_hall_get_clock (hall)));
  key = g_strconcat ("served:", step, NULL);

  stmt = ow_db_prepare (db, "SELECT n, total FROM day_counts WHERE day = ?1 AND key = ?2", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, today, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int64 (stmt, 0) >= MIN_SAMPLES)
        mean = (double) sqlite3_column_int64 (stmt, 1) / sqlite3_column_int64 (stmt, 0);
      ow_db_release (g_steal_pointer (&stmt));
    }
  if (mean <= 0)
    {
      stmt = ow_db_prepare (db, "SELECT limit_minutes FROM steps WHERE id = ?1", NULL);
      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, 1, step, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            mean = sqlite3_column_int (stmt, 0) * 60.0;
          ow_db_release (g_steal_pointer (&stmt));
        }
    }

  /* A ticket sent to one window waits for that window alone. */
  if (target == NULL)
    {
      stmt = ow_db_prepare (db,
                            "SELECT count(*) FROM window_steps ws JOIN windows w ON w.id = ws.window"
                            " WHERE ws.step = ?1 AND w.active AND NOT w.paused",
                            NULL);
      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, 1, step, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            windows = MAX (sqlite3_column_int64 (stmt, 0), 1);
          ow_db_release (g_steal_pointer (&stmt));
        }
    }

  return (gint64) ceil (ahead * mean / windows);
}

static gboolean
ticket_rating (OwHall     *hall,
               const char *token,
               JsonNode  **out)
{
  OwDb *db = ow_hall_get_db (hall);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = ow_db_prepare (db,
                        "SELECT r.level, r.at, r.followup, r.followup_due FROM ratings r"
                        " JOIN tickets t ON t.id = r.ticket"
                        " WHERE t.token = ?1",
                        NULL);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, token, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonObject *rating = json_object_new ();
      g_autofree char *at = ow_clock_format_iso (ow_hall_get_clock (hall), sqlite3_column_int64 (stmt, 1));

      json_object_set_int_member (rating, "level", sqlite3_column_int (stmt, 0));
      json_object_set_string_member (rating, "at", at);
      /* A bad rating: the citizen learns by when the hall follows it up, and whether it has. */
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        {
          json_object_set_string_member (rating, "followup", ow_db_column_text (stmt, 2));
          json_object_set_string_member (rating, "followup_due", ow_db_column_text (stmt, 3));
        }
      *out = json_node_init_object (json_node_alloc (), rating);
      json_object_unref (rating);
      return TRUE;
    }
  *out = json_node_new (JSON_NODE_NULL);
  return FALSE;
}

static gboolean
may_rate_state (const char *state)
{
  return g_strcmp0 (state, "completed") == 0 || g_strcmp0 (state, "returned") == 0;
}

JsonArray *
ow_public_document_names (OwDb      *db,
                          JsonArray *ids)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, "SELECT name FROM documents WHERE id = ?1", NULL);
  JsonArray *documents = json_array_new ();

  for (guint i = 0; stmt != NULL && ids != NULL && i < json_array_get_length (ids); i++)
    {
      const char *id = json_array_get_string_element (ids, i);
      JsonObject *document = json_object_new ();

      json_object_set_string_member (document, "id", id);
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        json_object_set_member (document, "name", json_from_text (ow_db_column_text (stmt, 0)));
      else
        json_object_set_null_member (document, "name");
      sqlite3_reset (stmt);
      json_array_add_object_element (documents, document);
    }
  return documents;
}

JsonObject *
ow_public_ticket (OwHall      *hall,
                  const char  *token,
                  GError     **error)
{
  OwDb *db;
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  JsonNode *rating = NULL;
  gboolean rated;
  char *hall_name;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  if (!ow_public_valid_token (token))
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no such ticket"));
      return NULL;
    }

  db = ow_hall_get_db (hall);
  if (!ow_db_begin (db, FALSE, error))
    return NULL;
  ticket = ow_hall_find_ticket (hall, token, FALSE, error);
  if (ticket == NULL || g_strcmp0 (json_object_get_string_member (ticket, "token"), token) != 0)
    {
      ow_db_rollback (db);
      g_clear_error (error);
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no such ticket"));
      return NULL;
    }

  /* The citizen's category stays with the staff who checked the proof. */
  json_object_remove_member (ticket, "green_category");
  json_object_remove_member (ticket, "token");
  json_object_set_int_member (ticket, "estimated_wait_s", ow_public_estimate_wait (hall, ticket));

  json_object_set_array_member (ticket, "missing_documents",
                                ow_public_document_names (db, json_object_get_array_member (ticket, "missing")));
  if (!json_object_get_null_member (ticket, "promise"))
    {
      JsonObject *promise = json_object_get_object_member (ticket, "promise");

      json_object_set_array_member (promise, "named_documents",
                                    ow_public_document_names (db, json_object_get_array_member (promise, "documents")));
    }

  hall_name = ow_db_get_setting (db, "hall_name");
  json_object_set_member (ticket, "hall_name", json_from_text (hall_name));
  g_free (hall_name);

  rated = ticket_rating (hall, token, &rating);
  json_object_set_member (ticket, "rating", rating);
  json_object_set_boolean_member (ticket, "can_rate",
                                  !rated && may_rate_state (json_object_get_string_member (ticket, "state")));
  ow_db_rollback (db);
  return g_steal_pointer (&ticket);
}

JsonObject *
ow_public_rate (OwHall         *hall,
                const OwActor  *actor,
                const char     *token,
                int             level,
                const char     *comment,
                GError        **error)
{
  OwDb *db;
  OwClock *clock;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *details_json = NULL;
  g_autofree char *number = NULL;
  g_autofree char *day = NULL;
  g_autofree char *service = NULL;
  g_autofree char *state = NULL;
  g_autofree char *staff = NULL;
  g_autofree char *window = NULL;
  g_autofree char *text = NULL;
  g_autofree char *at_text = NULL;
  g_autofree char *due = NULL;
  OwAuditEvent event = { 0 };
  JsonObject *result;
  gint64 ticket_id, now;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  if (level < OW_RATING_MIN || level > OW_RATING_MAX)
    {
      /* Translators: the lowest and the highest rating level; 非常不满意 is "very dissatisfied" and
       * 非常满意 "very satisfied", the words the rating form shows. */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                   _("a rating is a level from %d (非常不满意) to %d (非常满意)"), OW_RATING_MIN, OW_RATING_MAX);
      return NULL;
    }
  if (comment != NULL)
    {
      if (!g_utf8_validate (comment, -1, NULL))
        {
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID, _("the comment is not valid UTF-8"));
          return NULL;
        }
      text = g_strstrip (g_strdup (comment));
      if (g_utf8_strlen (text, -1) > OW_RATING_COMMENT_MAX)
        {
          g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID,
                       _("a comment is at most %d characters"), OW_RATING_COMMENT_MAX);
          return NULL;
        }
      if (*text == '\0')
        g_clear_pointer (&text, g_free);
    }
  if (!ow_public_valid_token (token))
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no such ticket"));
      return NULL;
    }

  db = ow_hall_get_db (hall);
  clock = ow_hall_get_clock (hall);
  if (!ow_db_begin (db, TRUE, error))
    return NULL;
  now = ow_clock_now (clock);

  stmt = ow_db_prepare (db, "SELECT id, number, day, service, state FROM tickets WHERE token = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, token, -1, SQLITE_STATIC);
  rc = ow_db_step_row (db, stmt, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND, _("no such ticket"));
      goto fail;
    }
  ticket_id = sqlite3_column_int64 (stmt, 0);
  number = g_strdup (ow_db_column_text (stmt, 1));
  day = g_strdup (ow_db_column_text (stmt, 2));
  service = g_strdup (ow_db_column_text (stmt, 3));
  state = g_strdup (ow_db_column_text (stmt, 4));
  ow_db_release (g_steal_pointer (&stmt));

  if (!may_rate_state (state))
    {
      /* Translators: a ticket number such as "A001" and its state such as "waiting". */
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE,
                   _("%s is %s: a ticket is rated after its service"), number, ow_hall_state_label (state));
      goto fail;
    }

  stmt = ow_db_prepare (db, "SELECT 1 FROM ratings WHERE ticket = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, ticket_id);
  rc = ow_db_step_row (db, stmt, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, OW_HALL_ERROR, OW_HALL_ERROR_EXISTS, _("%s has been rated already"), number);
      goto fail;
    }
  ow_db_release (g_steal_pointer (&stmt));

  /* A rating belongs to whoever handled the visit that ended the case. */
  stmt = ow_db_prepare (db,
                        "SELECT v.staff, v.window FROM tickets t JOIN visits v ON v.id = t.visit"
                        " WHERE t.id = ?1 AND v.outcome IN ('done', 'returned')",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, ticket_id);
  rc = ow_db_step_row (db, stmt, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_ROW)
    {
      staff = g_strdup (ow_db_column_text (stmt, 0));
      window = g_strdup (ow_db_column_text (stmt, 1));
    }
  ow_db_release (g_steal_pointer (&stmt));

  stmt = ow_db_prepare (db,
                        "INSERT INTO ratings (ticket, day, service, level, comment, at, staff, window,"
                        " followup, followup_due)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, ticket_id);
  sqlite3_bind_text (stmt, 2, day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, service, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, level);
  sqlite3_bind_text (stmt, 5, text, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, now);
  sqlite3_bind_text (stmt, 7, staff, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, window, -1, SQLITE_STATIC);
  /* A bad rating is followed up within the hall's working days from the day it is given. */
  if (level <= OW_RATING_BAD_MAX)
    {
      g_autofree char *rated_on = ow_clock_day (clock, now);
      g_auto(GStrv) holidays = NULL;
      g_auto(GStrv) workdays = NULL;

      ow_catalog_calendar (db, &holidays, &workdays);
      due = ow_clock_working_days_after (rated_on, ow_followup_days (db), (const char * const *) holidays,
                                         (const char * const *) workdays);
      sqlite3_bind_text (stmt, 9, "open", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 10, due, -1, SQLITE_STATIC);
    }
  if (!ow_db_step_done (db, stmt, error))
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));

  json_object_set_int_member (details, "level", level);
  json_object_set_boolean_member (details, "comment", text != NULL);
  if (staff != NULL)
    json_object_set_string_member (details, "staff", staff);
  details_json = ow_json_object_to_text (details);
  event.at = now;
  event.actor = actor != NULL && actor->actor != NULL ? actor->actor : "citizen";
  event.terminal = actor != NULL ? actor->terminal : NULL;
  event.window = window;
  event.ticket = number;
  event.ticket_id = ticket_id;
  event.action = "rate";
  event.details = details_json;
  if (!ow_audit_append (db, &event, NULL, error))
    goto fail;
  if (!ow_db_commit (db, error))
    return NULL;

  at_text = ow_clock_format_iso (clock, now);
  result = json_object_new ();
  json_object_set_string_member (result, "ticket", number);
  json_object_set_int_member (result, "level", level);
  json_object_set_string_member (result, "at", at_text);
  if (due != NULL)
    json_object_set_string_member (result, "followup_due", due);
  return result;

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return NULL;
}

static JsonArray *
rating_groups (OwDb        *db,
               const char  *column,
               const char  *from_day,
               const char  *to_day,
               GError     **error)
{
  g_autofree char *sql = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonArray) groups = json_array_new ();
  int rc;

  /* @column is one of two literals below, never user input. */
  sql = g_strdup_printf ("SELECT %s, count(*), sum(level >= 3), sum(level <= %d), avg(level)"
                         " FROM ratings WHERE day BETWEEN ?1 AND ?2 AND %s IS NOT NULL"
                         " GROUP BY %s ORDER BY %s",
                         column, OW_RATING_BAD_MAX, column, column, column);
  stmt = ow_db_prepare (db, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, from_day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to_day, -1, SQLITE_STATIC);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *group = json_object_new ();

      json_object_set_string_member (group, column, ow_db_column_text (stmt, 0));
      json_object_set_int_member (group, "ratings", sqlite3_column_int64 (stmt, 1));
      json_object_set_int_member (group, "satisfied", sqlite3_column_int64 (stmt, 2));
      json_object_set_int_member (group, "bad", sqlite3_column_int64 (stmt, 3));
      json_object_set_double_member (group, "mean_level", sqlite3_column_double (stmt, 4));
      json_array_add_object_element (groups, group);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&groups);
}

JsonObject *
ow_public_rating_stats (OwHall      *hall,
                        const char  *from_day,
                        const char  *to_day,
                        GError     **error)
{
  OwDb *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonObject) result = json_object_new ();
  g_autofree char *today = NULL;
  JsonObject *levels;
  JsonArray *by_window, *by_staff;
  gint64 total = 0, satisfied = 0, bad = 0;
  int rc;

  g_return_val_if_fail (OW_IS_HALL (hall), NULL);

  db = ow_hall_get_db (hall);
  today = ow_clock_day (ow_hall_get_clock (hall), ow_clock_now (ow_hall_get_clock (hall)));
  if (from_day == NULL)
    from_day = today;
  if (to_day == NULL)
    to_day = today;

  if (!ow_db_begin (db, FALSE, error))
    return NULL;
  stmt = ow_db_prepare (db, "SELECT level, count(*) FROM ratings WHERE day BETWEEN ?1 AND ?2 GROUP BY level",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, from_day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to_day, -1, SQLITE_STATIC);
  levels = json_object_new ();
  for (int i = OW_RATING_MIN; i <= OW_RATING_MAX; i++)
    {
      char key[4];

      g_snprintf (key, sizeof key, "%d", i);
      json_object_set_int_member (levels, key, 0);
    }
  json_object_set_object_member (result, "levels", levels);
  while ((rc = ow_db_step_row (db, stmt, error)) == SQLITE_ROW)
    {
      char key[4];
      int level = sqlite3_column_int (stmt, 0);
      gint64 n = sqlite3_column_int64 (stmt, 1);

      g_snprintf (key, sizeof key, "%d", level);
      json_object_set_int_member (levels, key, n);
      total += n;
      if (level >= 3)
        satisfied += n;
      if (level <= OW_RATING_BAD_MAX)
        bad += n;
    }
  if (rc < 0)
    goto fail;
  ow_db_release (g_steal_pointer (&stmt));

  by_window = rating_groups (db, "window", from_day, to_day, error);
  if (by_window == NULL)
    goto fail;
  json_object_set_array_member (result, "by_window", by_window);
  by_staff = rating_groups (db, "staff", from_day, to_day, error);
  if (by_staff == NULL)
    goto fail;
  json_object_set_array_member (result, "by_staff", by_staff);

  /* DOMAIN.md's published indicators: the share of bad ratings followed up and fixed. */
  stmt = ow_db_prepare (db,
                        "SELECT count(*), coalesce (sum (followup <> 'open'), 0),"
                        " coalesce (sum (followup = 'fixed'), 0), coalesce (sum (followup = 'explained'), 0),"
                        " coalesce (sum (followup NOT IN ('fixed', 'explained') AND followup_due < ?3), 0)"
                        " FROM ratings WHERE day BETWEEN ?1 AND ?2 AND followup IS NOT NULL",
                        error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, from_day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to_day, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, today, -1, SQLITE_STATIC);
  if (ow_db_step_row (db, stmt, error) != SQLITE_ROW)
    goto fail;
  {
    JsonObject *followup = json_object_new ();
    gint64 n = sqlite3_column_int64 (stmt, 0);

    json_object_set_int_member (followup, "bad", n);
    json_object_set_int_member (followup, "followed_up", sqlite3_column_int64 (stmt, 1));
    json_object_set_int_member (followup, "fixed", sqlite3_column_int64 (stmt, 2));
    json_object_set_int_member (followup, "explained", sqlite3_column_int64 (stmt, 3));
    json_object_set_int_member (followup, "overdue", sqlite3_column_int64 (stmt, 4));
    json_object_set_double_member (followup, "followup_rate", n > 0 ? (double) sqlite3_column_int64 (stmt, 1) / n : 0.0);
    json_object_set_double_member (followup, "fixed_rate", n > 0 ? (double) sqlite3_column_int64 (stmt, 2) / n : 0.0);
    json_object_set_object_member (result, "followup", followup);
  }
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);

  json_object_set_string_member (result, "from", from_day);
  json_object_set_string_member (result, "to", to_day);
  json_object_set_int_member (result, "ratings", total);
  json_object_set_int_member (result, "bad", bad);
  json_object_set_double_member (result, "satisfaction_rate", total > 0 ? (double) satisfied / total : 0.0);
  return g_steal_pointer (&result);

fail:
  ow_db_release (g_steal_pointer (&stmt));
  ow_db_rollback (db);
  return NULL;
}
