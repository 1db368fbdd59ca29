/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ow-test-common.h"

static void
assert_cmpstr_free (char       *value,
                    const char *expected)
{
  g_assert_cmpstr (value, ==, expected);
  g_free (value);
}

static void
assert_error_code (HallFixture *fixture,
                   const char  *window,
                   OwWindowAction action,
                   const OwWindowArgs *args,
                   int          code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = ow_hall_window_act (fixture->hall, NULL, window, action, args, &error);

  g_assert_null (result);
  g_assert_error (error, OW_HALL_ERROR, code);
}

static void
test_numbering (HallFixture   *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  const char *token;

  first = ow_hall_issue_ticket (fixture->hall, NULL, "biz", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (first, "number"), ==, "A001");
  g_assert_cmpstr (json_object_get_string_member (first, "state"), ==, "waiting");
  g_assert_cmpstr (json_object_get_string_member (first, "step"), ==, "biz/review");
  g_assert_cmpstr (json_object_get_string_member (first, "service"), ==, "biz");
  g_assert_true (json_object_get_null_member (first, "window"));
  g_assert_cmpint (json_object_get_int_member (first, "ahead"), ==, 0);
  g_assert_false (json_object_get_boolean_member (first, "green"));

  /* 128 random bits, hex. */
  token = json_object_get_string_member (first, "token");
  g_assert_cmpuint (strlen (token), ==, 32);
  for (const char *p = token; *p; p++)
    g_assert_true (g_ascii_isxdigit (*p));

  /* Services sharing a prefix share its counter. */
  second = ow_hall_issue_ticket (fixture->hall, NULL, "stat", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (second, "number"), ==, "A002");
  g_assert_cmpstr (json_object_get_string_member (second, "token"), !=, token);
  assert_cmpstr_free (issue (fixture, "edu", FALSE), "B001");
  assert_cmpstr_free (issue (fixture, "biz", FALSE), "A003");

  /* A999 is followed by A1000, never by a repeat. */
  g_assert_true (ow_db_exec (fixture->db, "UPDATE counters SET last = 998 WHERE prefix = 'A'", NULL));
  assert_cmpstr_free (issue (fixture, "biz", FALSE), "A999");
  assert_cmpstr_free (issue (fixture, "biz", FALSE), "A1000");
}

static void
test_day_rollover (HallFixture   *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *a1 = issue (fixture, "biz", FALSE);
  g_autofree char *a2 = issue (fixture, "biz", FALSE);
  g_autoptr(JsonObject) old = NULL;
  g_autoptr(JsonObject) fresh = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(OwAuditVerdict) verdict = { 0 };

  g_assert_cmpstr (a2, ==, "A002");

  /* Next morning: numbers restart, yesterday's open tickets have expired. */
  advance_minutes (fixture, 24 * 60);
  fresh = ow_hall_issue_ticket (fixture->hall, NULL, "biz", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (fresh, "number"), ==, "A001");
  g_assert_cmpint (json_object_get_int_member (fresh, "ahead"), ==, 0);

  /* By number, the newest day wins. */
  old = ow_hall_find_ticket (fixture->hall, "A001", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (old, "day"), ==, "2026-03-03");
  {
    g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (fixture->db,
                                                  "SELECT token, state FROM tickets WHERE day = '2026-03-02' AND number = 'A002'",
                                                  NULL);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr (ow_db_column_text (stmt, 1), ==, "expired");
  }

  g_assert_true (ow_audit_verify (fixture->db, 0, NULL, &verdict, &error));
  g_assert_true (verdict.ok);
}

static void
test_hours_cap_green (HallFixture   *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) none = NULL;

  /* stat: cap 3, hours 08:30-12:00, no green channel. */
  none = ow_hall_issue_ticket (fixture->hall, NULL, "stat", TRUE, "elderly", &error);
  g_assert_null (none);
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_ALLOWED);
  g_clear_error (&error);

  for (int i = 0; i < 3; i++)
    g_free (issue (fixture, "stat", FALSE));
  none = ow_hall_issue_ticket (fixture->hall, NULL, "stat", FALSE, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_CAP_REACHED);
  g_clear_error (&error);

  /* 12:30: lunch for biz, closed for the day for stat. */
  advance_minutes (fixture, 210);
  none = ow_hall_issue_ticket (fixture->hall, NULL, "biz", FALSE, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_CLOSED);
  g_assert_nonnull (strstr (error->message, "13:30-17:30"));
  g_clear_error (&error);

  /* 13:30 opens again. */
  advance_minutes (fixture, 60);
  g_free (issue (fixture, "biz", FALSE));

  none = ow_hall_issue_ticket (fixture->hall, NULL, "nope", FALSE, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND);
}

static void
test_calling_order (HallFixture   *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *a1 = issue (fixture, "biz", FALSE);
  g_autofree char *a2 = NULL;
  g_autofree char *a3 = NULL;
  g_autofree char *a4 = NULL;
  g_autofree char *s = NULL;
  g_autoptr(JsonObject) t = NULL;

  advance_minutes (fixture, 1);
  a2 = issue (fixture, "biz", FALSE);
  advance_minutes (fixture, 1);
  s = issue (fixture, "stat", FALSE);
  advance_minutes (fixture, 1);
  a4 = issue (fixture, "biz", TRUE);   /* green channel, issued last */

  t = ticket (fixture, a2);
  g_assert_cmpint (json_object_get_int_member (t, "ahead"), ==, 2);   /* a4 (green) and a1 */
  g_clear_pointer (&t, json_object_unref);
  t = ticket (fixture, a4);
  g_assert_cmpint (json_object_get_int_member (t, "ahead"), ==, 0);
  g_assert_true (json_object_get_boolean_member (t, "green"));
  g_clear_pointer (&t, json_object_unref);

  /* w1 serves two steps: green first, then earliest place across both queues. */
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), a4);
  assert_cmpstr_free (act (fixture, "w5", OW_WINDOW_CALL, NULL), a1);

  /* a1 finishes pre-review and joins acceptance with its original place (its issue time). */
  advance_minutes (fixture, 5);
  g_free (act (fixture, "w5", OW_WINDOW_COMPLETE, NULL));
  advance_minutes (fixture, 1);
  a3 = issue (fixture, "biz", FALSE);

  /* a1 entered acceptance later than nobody; check it is ahead of a later-issued ticket there. */
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));   /* a4 (green) also to acceptance */
  t = ticket (fixture, a1);
  g_assert_cmpstr (json_object_get_string_member (t, "step"), ==, "biz/accept");
  g_assert_cmpint (json_object_get_int_member (t, "ahead"), ==, 1);   /* the green a4 */
  g_clear_pointer (&t, json_object_unref);

  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), a2);
  assert_cmpstr_free (act (fixture, "w5", OW_WINDOW_CALL, NULL), a3);
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));   /* a2 to acceptance */
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), s);

  /* Acceptance: green a4, then a1 (issued first), then a2. */
  assert_cmpstr_free (act (fixture, "w2", OW_WINDOW_CALL, NULL), a4);
  g_free (act (fixture, "w2", OW_WINDOW_COMPLETE, NULL));
  assert_cmpstr_free (act (fixture, "w2", OW_WINDOW_CALL, NULL), a1);
  g_free (act (fixture, "w2", OW_WINDOW_COMPLETE, NULL));
  assert_cmpstr_free (act (fixture, "w2", OW_WINDOW_CALL, NULL), a2);
}

static void
test_full_flow (HallFixture   *fixture,
                gconstpointer  user_data)
{
  const char *windows[] = { "w1", "w2", "w3", "w4" };
  const char *steps[] = { "biz/review", "biz/accept", "biz/fee", "biz/issue" };
  g_autofree char *a1 = issue (fixture, "biz", FALSE);
  g_autoptr(JsonObject) t = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(OwAuditVerdict) verdict = { 0 };
  JsonArray *history;

  for (guint i = 0; i < G_N_ELEMENTS (windows); i++)
    {
      g_autoptr(JsonObject) result = NULL;
      JsonObject *called;

      assert_cmpstr_free (ticket_step (fixture, a1), steps[i]);
      result = ow_hall_window_act (fixture->hall, NULL, windows[i], OW_WINDOW_CALL, NULL, &error);
      g_assert_no_error (error);
      called = json_object_get_object_member (result, "ticket");
      g_assert_cmpstr (json_object_get_string_member (called, "state"), ==, "called");
      g_assert_cmpstr (json_object_get_string_member (called, "window"), ==, windows[i]);
      g_assert_cmpint (json_object_get_int_member (called, "window_number"), ==, i + 1);
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "window"), "ticket"), ==, a1);
      g_free (act (fixture, windows[i], OW_WINDOW_START, NULL));
      assert_cmpstr_free (ticket_state (fixture, a1), "serving");
      advance_minutes (fixture, 3);
      g_free (act (fixture, windows[i], OW_WINDOW_COMPLETE, NULL));
    }

  t = ticket (fixture, a1);
  g_assert_cmpstr (json_object_get_string_member (t, "state"), ==, "completed");
  history = json_object_get_array_member (t, "history");
  /* issue + 4 x (call, start, complete) */
  g_assert_cmpuint (json_array_get_length (history), ==, 13);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, 0), "action"), ==, "issue");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, 12), "action"), ==, "complete");

  /* Nobody waits: a call returns no ticket and no error. */
  g_assert_null (act (fixture, "w1", OW_WINDOW_CALL, NULL));

  g_assert_true (ow_audit_verify (fixture->db, 0, NULL, &verdict, &error));
  g_assert_no_error (error);
  g_assert_true (verdict.ok);
}

static void
test_window_rules (HallFixture   *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *a1 = issue (fixture, "biz", FALSE);
  OwWindowArgs pause = { .reason = "lunch" };

  /* Actions need a ticket in hand; a call needs empty hands. */
  assert_error_code (fixture, "w1", OW_WINDOW_COMPLETE, NULL, OW_HALL_ERROR_NO_TICKET);
  assert_error_code (fixture, "w1", OW_WINDOW_RECALL, NULL, OW_HALL_ERROR_NO_TICKET);
  assert_error_code (fixture, "w9", OW_WINDOW_CALL, NULL, OW_HALL_ERROR_NOT_FOUND);
  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  assert_error_code (fixture, "w1", OW_WINDOW_CALL, NULL, OW_HALL_ERROR_WINDOW_BUSY);
  assert_error_code (fixture, "w1", OW_WINDOW_PAUSE, &pause, OW_HALL_ERROR_WINDOW_BUSY);
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_RECALL, NULL), a1);
  g_free (act (fixture, "w1", OW_WINDOW_START, NULL));
  assert_error_code (fixture, "w1", OW_WINDOW_RECALL, NULL, OW_HALL_ERROR_WRONG_STATE);
  assert_error_code (fixture, "w1", OW_WINDOW_NO_SHOW, NULL, OW_HALL_ERROR_WRONG_STATE);
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));

  /* A paused window calls nothing, even with people waiting. */
  g_free (issue (fixture, "stat", FALSE));
  g_free (act (fixture, "w1", OW_WINDOW_PAUSE, &pause));
  assert_error_code (fixture, "w1", OW_WINDOW_CALL, NULL, OW_HALL_ERROR_PAUSED);
  assert_error_code (fixture, "w1", OW_WINDOW_PAUSE, &pause, OW_HALL_ERROR_WRONG_STATE);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) window = ow_hall_get_window (fixture->hall, "w1", &error);

    g_assert_no_error (error);
    g_assert_true (json_object_get_boolean_member (window, "paused"));
    g_assert_cmpstr (json_object_get_string_member (window, "pause_reason"), ==, "lunch");
    g_assert_cmpint (json_object_get_int_member (window, "waiting"), ==, 1);
  }
  g_free (act (fixture, "w1", OW_WINDOW_RESUME, NULL));
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), "A002");
}

static void
test_no_show (HallFixture   *fixture,
              gconstpointer  user_data)
{
  g_autofree char *a1 = issue (fixture, "biz", FALSE);
  g_autofree char *a2 = issue (fixture, "biz", FALSE);
  g_autoptr(JsonObject) t = NULL;

  /* First no-show: back into the queue, behind those waiting. */
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), a1);
  advance_minutes (fixture, 1);
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_NO_SHOW, NULL), a1);
  t = ticket (fixture, a1);
  g_assert_cmpstr (json_object_get_string_member (t, "state"), ==, "waiting");
  g_assert_cmpint (json_object_get_int_member (t, "no_shows"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (t, "ahead"), ==, 1);
  g_clear_pointer (&t, json_object_unref);
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), a2);
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));

  /* Second no-show ends the ticket. */
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), a1);
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_NO_SHOW, NULL), a1);
  assert_cmpstr_free (ticket_state (fixture, a1), "no_show");
  g_assert_null (act (fixture, "w1", OW_WINDOW_CALL, NULL));
}

static void
test_no_show_configurable (HallFixture   *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *a1 = issue (fixture, "biz", FALSE);

  g_assert_true (ow_db_set_setting (fixture->db, "no_show_limit", "1", NULL));
  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  g_free (act (fixture, "w1", OW_WINDOW_NO_SHOW, NULL));
  assert_cmpstr_free (ticket_state (fixture, a1), "no_show");
}

static void
test_return_and_reenter (HallFixture   *fixture,
                         gconstpointer  user_data)
{
  const char *unknown[] = { "passport", NULL };
  const char *missing[] = { "lease", "id-card", "lease", NULL };
  OwWindowArgs bad = { .missing = unknown };
  OwWindowArgs args = { .missing = missing };
  g_autofree char *a1 = issue (fixture, "biz", FALSE);
  g_autofree char *a2 = NULL;
  g_autoptr(JsonObject) t = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *list;

  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  assert_error_code (fixture, "w1", OW_WINDOW_RETURN, &bad, OW_HALL_ERROR_NOT_FOUND);
  assert_error_code (fixture, "w1", OW_WINDOW_RETURN, NULL, OW_HALL_ERROR_INVALID);
  g_free (act (fixture, "w1", OW_WINDOW_RETURN, &args));

  t = ticket (fixture, a1);
  g_assert_cmpstr (json_object_get_string_member (t, "state"), ==, "returned");
  list = json_object_get_array_member (t, "missing");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (list, 0), ==, "lease");
  g_assert_cmpstr (json_array_get_string_element (list, 1), ==, "id-card");
  g_clear_pointer (&t, json_object_unref);

  /* Others are served meanwhile; the citizen comes back with the same ticket, with priority. */
  advance_minutes (fixture, 30);
  a2 = issue (fixture, "biz", FALSE);
  g_clear_pointer (&t, json_object_unref);
  t = ow_hall_reenter_ticket (fixture->hall, NULL, a1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (t, "state"), ==, "waiting");
  g_assert_cmpstr (json_object_get_string_member (t, "step"), ==, "biz/review");
  g_assert_cmpint (json_object_get_int_member (t, "ahead"), ==, 0);
  assert_cmpstr_free (act (fixture, "w5", OW_WINDOW_CALL, NULL), a1);

  /* Only a returned ticket re-enters. */
  g_clear_pointer (&t, json_object_unref);
  t = ow_hall_reenter_ticket (fixture->hall, NULL, a2, &error);
  g_assert_null (t);
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE);
}

/* The "waiting" of a window's object: those its next call can reach. */
static gint64
window_waiting (HallFixture *fixture,
                const char  *window)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = ow_hall_get_window (fixture->hall, window, &error);

  g_assert_no_error (error);
  return json_object_get_int_member (object, "waiting");
}

static void
test_transfer (HallFixture   *fixture,
               gconstpointer  user_data)
{
  OwWindowArgs no_reason = { .to_step = "biz/fee" };
  OwWindowArgs to_step = { .to_step = "biz/fee", .reason = "review done by phone" };
  OwWindowArgs to_window = { .to_window = "w5", .reason = "needs the senior reviewer" };
  OwWindowArgs bad_step = { .to_step = "nope", .reason = "x" };
  g_autofree char *a1 = issue (fixture, "biz", FALSE);
  g_autofree char *a2 = issue (fixture, "biz", FALSE);
  g_autofree char *a3 = issue (fixture, "biz", FALSE);
  g_autoptr(JsonObject) t = NULL;
  JsonArray *history;
  JsonObject *last;

  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  assert_error_code (fixture, "w1", OW_WINDOW_TRANSFER, &no_reason, OW_HALL_ERROR_INVALID);
  assert_error_code (fixture, "w1", OW_WINDOW_TRANSFER, &bad_step, OW_HALL_ERROR_NOT_FOUND);
  g_free (act (fixture, "w1", OW_WINDOW_TRANSFER, &to_step));
  assert_cmpstr_free (ticket_step (fixture, a1), "biz/fee");
  assert_cmpstr_free (act (fixture, "w3", OW_WINDOW_CALL, NULL), a1);

  /* Transfer to a window: only that window calls it. */
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), a2);
  g_free (act (fixture, "w1", OW_WINDOW_TRANSFER, &to_window));
  /* It waits for w5 alone: in w5's count (with A003 at pre-review), not in w1's. */
  assert_waiting_counts (fixture->db);
  g_assert_cmpint (window_waiting (fixture, "w5"), ==, 2);
  g_assert_cmpint (window_waiting (fixture, "w1"), ==, 1);
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), a3);
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));
  g_assert_null (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  assert_cmpstr_free (act (fixture, "w5", OW_WINDOW_CALL, NULL), a2);

  /* 首问负责: who, to where, why. */
  t = ticket (fixture, a2);
  history = json_object_get_array_member (t, "history");
  last = json_object_get_object_member (json_array_get_object_element (history, json_array_get_length (history) - 2), "details");
  g_assert_cmpstr (json_object_get_string_member (last, "to_window"), ==, "w5");
  g_assert_cmpstr (json_object_get_string_member (last, "reason"), ==, "needs the senior reviewer");
  g_assert_cmpstr (json_object_get_string_member (last, "from_state"), ==, "called");
  /* The call logs the state it found the ticket in, not the one it left it in. */
  last = json_object_get_object_member (json_array_get_object_element (history, json_array_get_length (history) - 1), "details");
  g_assert_cmpstr (json_object_get_string_member (last, "from_state"), ==, "waiting");
}

static void
test_staff (HallFixture   *fixture,
            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *role = NULL;
  g_autoptr(JsonArray) list = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_false (ow_hall_add_staff (fixture->hall, NULL, "li", "Li", "counter", "12", &error));
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ow_hall_add_staff (fixture->hall, NULL, "li", "Li", "boss", "1234", &error));
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (ow_hall_add_staff (fixture->hall, NULL, "li", "李四", "counter", "4321", &error));
  g_assert_no_error (error);
  g_assert_false (ow_hall_add_staff (fixture->hall, NULL, "li", "Li", "counter", "4321", &error));
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_EXISTS);
  g_clear_error (&error);

  /* Stored as an argon2id hash, never in clear. */
  stmt = ow_db_prepare (fixture->db, "SELECT pin_hash FROM staff WHERE id = 'li'", NULL);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_true (g_str_has_prefix (ow_db_column_text (stmt, 0), "$argon2id$"));
  g_assert_null (strstr (ow_db_column_text (stmt, 0), "4321"));
  ow_db_release (g_steal_pointer (&stmt));

  role = ow_hall_check_pin (fixture->hall, NULL, "li", "4321", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (role, ==, "counter");

  /* Five wrong PINs lock the account for 15 minutes, even for the right PIN. */
  for (int i = 0; i < 4; i++)
    {
      g_assert_null (ow_hall_check_pin (fixture->hall, NULL, "li", "0000", &error));
      g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_AUTH);
      g_clear_error (&error);
    }
  g_assert_null (ow_hall_check_pin (fixture->hall, NULL, "li", "0000", &error));
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_null (ow_hall_check_pin (fixture->hall, NULL, "li", "4321", &error));
  g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_LOCKED);
  g_clear_error (&error);
  advance_minutes (fixture, 15);
  g_clear_pointer (&role, g_free);
  role = ow_hall_check_pin (fixture->hall, NULL, "li", "4321", &error);
  g_assert_no_error (error);

  list = ow_hall_list_staff (fixture->hall, &error);
  g_assert_cmpuint (json_array_get_length (list), ==, 1);

  /* Window actions name the staff who acted. */
  {
    OwWindowArgs args = { .staff = "li" };
    OwWindowArgs nobody = { .staff = "nobody" };

    g_free (issue (fixture, "biz", FALSE));
    assert_error_code (fixture, "w1", OW_WINDOW_CALL, &nobody, OW_HALL_ERROR_NOT_FOUND);
    g_free (act (fixture, "w1", OW_WINDOW_CALL, &args));
    g_autoptr(JsonObject) window = ow_hall_get_window (fixture->hall, "w1", &error);
    g_assert_cmpstr (json_object_get_string_member (window, "staff"), ==, "li");
  }
}

static void
test_every_change_logged (HallFixture   *fixture,
                          gconstpointer  user_data)
{
  gint64 before = ow_audit_head_seq (fixture->db);
  OwWindowArgs pause = { .reason = "meeting" };

  g_free (issue (fixture, "biz", FALSE));
  g_assert_cmpint (ow_audit_head_seq (fixture->db), ==, before + 1);
  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  g_free (act (fixture, "w1", OW_WINDOW_RECALL, NULL));
  g_free (act (fixture, "w1", OW_WINDOW_START, NULL));
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));
  g_free (act (fixture, "w1", OW_WINDOW_PAUSE, &pause));
  g_free (act (fixture, "w1", OW_WINDOW_RESUME, NULL));
  g_assert_cmpint (ow_audit_head_seq (fixture->db), ==, before + 7);

  /* A refused operation leaves no trace and changes nothing. */
  assert_error_code (fixture, "w1", OW_WINDOW_COMPLETE, NULL, OW_HALL_ERROR_NO_TICKET);
  g_assert_cmpint (ow_audit_head_seq (fixture->db), ==, before + 7);
}

/* Two processes calling on one database file never get the same ticket. */
static void
test_concurrent_processes (HallFixture   *fixture,
                           gconstpointer  user_data)
{
  enum { TICKETS = 200, PROCESSES = 2 };
  const char *windows[PROCESSES] = { "w1", "w5" };
  char *out[PROCESSES] = { NULL };
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pid_t pids[PROCESSES];
  int start[2];
  guint total = 0;

  for (int i = 0; i < TICKETS; i++)
    g_free (issue (fixture, "biz", FALSE));

  /* SQLite connections must not cross fork(): close ours and reopen afterwards. */
  g_clear_object (&fixture->hall);
  g_assert_finalize_object (g_steal_pointer (&fixture->db));

  /* Both children wait at this pipe so that they really start together. */
  g_assert_cmpint (pipe (start), ==, 0);

  for (int p = 0; p < PROCESSES; p++)
    {
      out[p] = g_strdup_printf ("%s/called-%d.txt", fixture->dir, p);
      pids[p] = fork ();
      g_assert_cmpint (pids[p], >=, 0);
      if (pids[p] == 0)
        {
          /* The child: its own connection, calling and completing as fast as it can. */
          g_autoptr(OwDb) db = ow_db_open (fixture->path, NULL);
          g_autoptr(OwClock) clock = ow_clock_new_virtual (test_morning () + 60 * G_USEC_PER_SEC);
          g_autoptr(OwHall) hall = ow_hall_new (db, clock);
          FILE *file = fopen (out[p], "w");
          char go;

          close (start[1]);
          if (db == NULL || file == NULL || read (start[0], &go, 1) != 1)
            _exit (3);
          for (;;)
            {
              g_autoptr(GError) error = NULL;
              g_autoptr(JsonObject) result = ow_hall_window_act (hall, NULL, windows[p], OW_WINDOW_CALL, NULL, &error);
              g_autoptr(JsonObject) done = NULL;

              if (result == NULL)
                _exit (4);
              if (json_object_get_null_member (result, "ticket"))
                break;
              fprintf (file, "%s\n", json_object_get_string_member (json_object_get_object_member (result, "ticket"), "number"));
              done = ow_hall_window_act (hall, NULL, windows[p], OW_WINDOW_COMPLETE, NULL, &error);
              if (done == NULL)
                _exit (5);
            }
          fclose (file);
          _exit (0);
        }
    }

  close (start[0]);
  g_assert_cmpint (write (start[1], "gg", PROCESSES), ==, PROCESSES);
  close (start[1]);

  for (int p = 0; p < PROCESSES; p++)
    {
      g_autofree char *contents = NULL;
      g_auto(GStrv) lines = NULL;
      int status = 0;

      g_assert_cmpint (waitpid (pids[p], &status, 0), ==, pids[p]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
      g_assert_true (g_file_get_contents (out[p], &contents, NULL, NULL));
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i] != NULL && *lines[i]; i++)
        {
          g_assert_false (g_hash_table_contains (seen, lines[i]));
          g_hash_table_add (seen, g_strdup (lines[i]));
          total++;
        }
      /* Both really took part. */
      g_assert_cmpuint (g_strv_length (lines), >, 1);
    }
  g_assert_cmpuint (total, ==, TICKETS);
  for (int p = 0; p < PROCESSES; p++)
    g_free (out[p]);

  fixture->db = ow_db_open (fixture->path, NULL);
  g_assert_nonnull (fixture->db);
  fixture->hall = ow_hall_new (fixture->db, fixture->clock);

  {
    g_auto(OwAuditVerdict) verdict = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_true (ow_audit_verify (fixture->db, 0, NULL, &verdict, &error));
    g_assert_true (verdict.ok);
    g_assert_cmpint (verdict.events, ==, 1 + TICKETS * 3);
  }
}

static void
test_queues_and_waiting (HallFixture   *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) queues = NULL;
  g_autoptr(JsonArray) waiting = NULL;

  g_free (issue (fixture, "biz", FALSE));
  advance_minutes (fixture, 2);
  g_free (issue (fixture, "stat", FALSE));
  g_free (issue (fixture, "biz", TRUE));

  queues = ow_hall_list_queues (fixture->hall, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (queues); i++)
    {
      JsonObject *queue = json_array_get_object_element (queues, i);

      if (g_str_equal (json_object_get_string_member (queue, "step"), "biz/review"))
        {
          g_assert_cmpint (json_object_get_int_member (queue, "waiting"), ==, 2);
          g_assert_cmpint (json_object_get_int_member (queue, "green"), ==, 1);
          g_assert_cmpint (json_object_get_int_member (queue, "oldest_wait_s"), ==, 120);
        }
    }

  waiting = ow_hall_list_waiting (fixture->hall, "w1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (waiting), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (waiting, 0), "number"), ==, "A003");
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (waiting, 0), "green"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (waiting, 1), "number"), ==, "A001");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (waiting, 1), "waited_s"), ==, 120);
}

/* The server leaves checkpoints to a thread: the log is copied back while the engine goes on
 * committing, and nothing is lost. */
static void
test_background_checkpoint (HallFixture   *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwCheckpointer) checkpointer = ow_checkpointer_new (fixture->path, &error);
  g_autoptr(OwDb) observer = NULL;
  g_auto(OwAuditVerdict) verdict = { 0 };
  int issued = 0;
  gint64 deadline;

  g_assert_no_error (error);
  ow_checkpointer_watch (checkpointer, fixture->db);
  g_assert_cmpuint (ow_checkpointer_get_count (checkpointer), ==, 0);

  /* Issue until the log has passed SQLite's threshold of 1000 pages at least once. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (ow_checkpointer_get_count (checkpointer) == 0 && g_get_monotonic_time () < deadline)
    {
      g_free (issue (fixture, "biz", FALSE));
      issued++;
      if (issued % 50 == 0)
        g_usleep (1000);
    }
  g_assert_cmpuint (ow_checkpointer_get_count (checkpointer), >=, 1);

  for (int i = 0; i < 150; i++)
    g_free (issue (fixture, "biz", FALSE));

  /* Everything is there for a new connection, and the chain holds. */
  observer = ow_db_open (fixture->path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(sqlite3_stmt) count = ow_db_prepare (observer, "SELECT count(*) FROM tickets", &error);

    g_assert_no_error (error);
    g_assert_cmpint (sqlite3_step (count), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (count, 0), ==, issued + 150);
  }
  g_assert_true (ow_audit_verify (observer, 0, NULL, &verdict, &error));
  g_assert_no_error (error);
  g_assert_true (verdict.ok);
}

/* The engine keeps a copy of the catalogue (ow-catalog-cache.c); an import through another
 * connection, as from the CLI while the server runs, must reach it at the next operation. */
static void
test_catalog_cache_follows_imports (HallFixture   *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) other = ow_db_open (fixture->path, &error);
  g_autoptr(GString) changed = g_string_new (test_catalog);
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(JsonObject) window = NULL;
  g_autofree char *first = NULL;

  g_assert_no_error (error);
  first = issue (fixture, "biz", FALSE);
  ticket = ow_hall_find_ticket (fixture->hall, first, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ticket, "step_name"), "en"),
                   ==, "Pre-review");
  g_clear_pointer (&ticket, json_object_unref);

  /* Renamed, and window 5 no longer serves pre-review. */
  g_assert_cmpuint (g_string_replace (changed, "\"en\": \"Pre-review\"", "\"en\": \"Document check\"", 1), ==, 1);
  g_assert_cmpuint (g_string_replace (changed, "\"steps\": [\"biz/review\"]}", "\"steps\": [\"edu/serve\"]}", 1), ==, 1);
  ow_catalog_import_data (other, fixture->clock, NULL, "changed.json", changed->str, -1, NULL, &error);
  g_assert_no_error (error);

  ticket = ow_hall_find_ticket (fixture->hall, first, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ticket, "step_name"), "en"),
                   ==, "Document check");
  window = ow_hall_get_window (fixture->hall, "w5", &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (window, "steps")), ==, 1);
  g_assert_null (act (fixture, "w5", OW_WINDOW_CALL, NULL));
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), first);
}

/* The log's VFS (ow-wal-vfs.c) holds a commit's frames until it syncs the log.  Every commit
 * must nevertheless reach other connections whole: small ones, ones larger than what it
 * gathers in one call, and ones that rewrite a page already in the log. */
static gint64
wal_table_sum (sqlite3 *handle,
               gint64  *rows)
{
  sqlite3_stmt *stmt;
  gint64 sum;

  g_assert_cmpint (sqlite3_prepare_v2 (handle, "SELECT count(*), coalesce (sum (length (x) + n), 0) FROM t",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  *rows = sqlite3_column_int64 (stmt, 0);
  sum = sqlite3_column_int64 (stmt, 1);
  sqlite3_finalize (stmt);
  return sum;
}

static void
wal_write_batch (OwDb *db,
                 int   batch)
{
  g_autoptr(GError) error = NULL;
  /* 1, 7 and 60 rows of 3 KB: one page, a few, and more than the VFS gathers at once. */
  int rows = (int[]) { 1, 7, 60 }[batch % 3];

  g_assert_true (ow_db_begin (db, TRUE, &error));
  for (int i = 0; i < rows; i++)
    {
      g_autoptr(sqlite3_stmt) insert = ow_db_prepare (db, "INSERT INTO t (x, n) VALUES (?1, ?2)", &error);
      g_autofree char *text = g_strnfill (3000 + batch, 'a' + batch % 26);

      g_assert_no_error (error);
      sqlite3_bind_text (insert, 1, text, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (insert, 2, batch);
      g_assert_true (ow_db_step_done (db, insert, &error));
    }
  /* Touches the first row's page again, already in the log from an earlier commit. */
  g_assert_true (ow_db_exec (db, "UPDATE t SET n = n + 1 WHERE id = 1", &error));
  g_assert_true (ow_db_commit (db, &error));
  g_assert_no_error (error);
}

static void
test_wal_vfs_readers (HallFixture   *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) reader = ow_db_open (fixture->path, &error);
  sqlite3 *plain;
  gint64 expected_rows = 0, expected_sum = 0;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (fixture->path, &plain), ==, SQLITE_OK);
  g_assert_true (ow_db_exec (fixture->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT, n INTEGER)", &error));

  for (int batch = 0; batch < 30; batch++)
    {
      gint64 rows;
      int added = (int[]) { 1, 7, 60 }[batch % 3];

      wal_write_batch (fixture->db, batch);
      expected_rows += added;
      expected_sum += (gint64) added * (3000 + batch + batch) + 1;

      g_assert_cmpint (wal_table_sum (ow_db_get_handle (reader), &rows), ==, expected_sum);
      g_assert_cmpint (rows, ==, expected_rows);
      g_assert_cmpint (wal_table_sum (plain, &rows), ==, expected_sum);
      g_assert_cmpint (rows, ==, expected_rows);
    }

  {
    sqlite3_stmt *check;

    g_assert_cmpint (sqlite3_prepare_v2 (plain, "PRAGMA integrity_check", -1, &check, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (check), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (check, 0), ==, "ok");
    sqlite3_finalize (check);
  }
  sqlite3_close (plain);
}

/* A transaction bigger than the page cache writes frames before its commit; rolled back, they
 * must never land on frames another connection commits afterwards at the same place. */
static void
test_wal_vfs_rolled_back_spill (HallFixture   *fixture,
                                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) other = ow_db_open (fixture->path, &error);
  g_autoptr(OwDb) after = NULL;
  gint64 rows;

  g_assert_no_error (error);
  g_assert_true (ow_db_exec (fixture->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT, n INTEGER);"
                                          "PRAGMA cache_size = 10", &error));
  g_assert_true (ow_db_exec (fixture->db,
                             "BEGIN IMMEDIATE;"
                             "WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 60)"
                             " INSERT INTO t (x, n) SELECT hex (randomblob (1500)), i FROM s;"
                             "ROLLBACK",
                             &error));
  g_assert_no_error (error);
  g_assert_true (ow_db_exec (other,
                             "BEGIN IMMEDIATE;"
                             "WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100)"
                             " INSERT INTO t (x, n) SELECT hex (randomblob (1500)), -i FROM s;"
                             "COMMIT",
                             &error));
  g_assert_no_error (error);

  /* The first connection reads (and would have written out what it held), then closes. */
  g_assert_cmpint (wal_table_sum (ow_db_get_handle (fixture->db), &rows), !=, 0);
  g_assert_cmpint (rows, ==, 100);
  g_clear_object (&other);
  after = ow_db_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wal_table_sum (ow_db_get_handle (after), &rows), !=, 0);
  g_assert_cmpint (rows, ==, 100);
  {
    g_autoptr(sqlite3_stmt) check = ow_db_prepare (after, "PRAGMA integrity_check", &error);

    g_assert_no_error (error);
    g_assert_cmpint (sqlite3_step (check), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (check, 0), ==, "ok");
  }
}

/* A process killed at any moment has handed every acknowledged commit to the system. */
static void
test_wal_vfs_kill (HallFixture   *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) after = NULL;
  int acknowledged[2];
  gint64 rows = 0, batches = 0;
  int last = -1, status;
  pid_t child;

  g_assert_true (ow_db_exec (fixture->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT, n INTEGER)", &error));
  g_assert_cmpint (pipe (acknowledged), ==, 0);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      OwDb *db = ow_db_open (fixture->path, NULL);

      close (acknowledged[0]);
      for (int batch = 0; db != NULL; batch++)
        {
          wal_write_batch (db, batch);
          if (write (acknowledged[1], &batch, sizeof batch) != sizeof batch)
            _exit (1);
        }
      _exit (1);
    }
  close (acknowledged[1]);

  /* Let it write for a while, kill it, then take every acknowledgement it sent. */
  for (int batch; last < 40 && read (acknowledged[0], &batch, sizeof batch) == sizeof batch;)
    last = batch;
  g_usleep (g_random_int_range (0, 20000));
  kill (child, SIGKILL);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  for (int batch; read (acknowledged[0], &batch, sizeof batch) == sizeof batch;)
    last = batch;
  close (acknowledged[0]);
  g_assert_cmpint (last, >=, 40);

  after = ow_db_open (fixture->path, &error);
  g_assert_no_error (error);
  {
    /* Batch 0 wrote only row 1, whose n every batch then raises. */
    g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (after, "SELECT (SELECT count(*) FROM t),"
                                                  " (SELECT count (DISTINCT n) + 1 FROM t WHERE id > 1)", &error);

    g_assert_no_error (error);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    rows = sqlite3_column_int64 (stmt, 0);
    batches = sqlite3_column_int64 (stmt, 1);
  }
  /* Every acknowledged batch is there (the one in flight may be too); nothing is torn. */
  g_assert_cmpint (batches, >=, last + 1);
  g_assert_cmpint (batches, <=, last + 2);
  {
    gint64 expected = 0;

    for (int batch = 0; batch < batches; batch++)
      expected += (int[]) { 1, 7, 60 }[batch % 3];
    g_assert_cmpint (rows, ==, expected);
  }
  {
    g_autoptr(sqlite3_stmt) check = ow_db_prepare (after, "PRAGMA integrity_check", &error);

    g_assert_no_error (error);
    g_assert_cmpint (sqlite3_step (check), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (check, 0), ==, "ok");
  }
}

static gint64
count_events (HallFixture *fixture,
              const char  *action)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (fixture->db, "SELECT count(*) FROM events WHERE action = ?1", NULL);

  sqlite3_bind_text (stmt, 1, action, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

static JsonObject *
queue_of (JsonArray  *queues,
          const char *step)
{
  for (guint i = 0; i < json_array_get_length (queues); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (queues, i), "step"), step))
      return json_array_get_object_element (queues, i);
  g_assert_not_reached ();
}

/* DOMAIN.md: a service's waiting-count alert threshold.  The log says it once when issuing
 * makes that many of the service's tickets wait (at any of its steps), again only after the
 * queue has fallen below it. */
static void
test_waiting_alert (HallFixture   *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) queues = NULL;
  g_autoptr(JsonArray) later = NULL;
  g_autoptr(sqlite3_stmt) last = NULL;
  JsonObject *review;

  g_assert_true (ow_db_exec (fixture->db, "UPDATE services SET alert_waiting = 3 WHERE code = 'biz'", NULL));

  g_free (issue (fixture, "biz", FALSE));
  g_free (issue (fixture, "stat", FALSE));   /* another service does not count */
  g_free (issue (fixture, "biz", FALSE));
  g_assert_cmpint (count_events (fixture, "alert"), ==, 0);
  g_free (issue (fixture, "biz", FALSE));
  g_assert_cmpint (count_events (fixture, "alert"), ==, 1);
  g_free (issue (fixture, "biz", FALSE));
  g_assert_cmpint (count_events (fixture, "alert"), ==, 1);

  last = ow_db_prepare (fixture->db, "SELECT actor, details FROM events WHERE action = 'alert'", NULL);
  g_assert_cmpint (sqlite3_step (last), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (last, 0), ==, "system");
  g_assert_cmpstr ((const char *) sqlite3_column_text (last, 1), ==,
                   "{\"service\":\"biz\",\"waiting\":3,\"threshold\":3}");
  ow_db_release (g_steal_pointer (&last));

  queues = ow_hall_list_queues (fixture->hall, &error);
  g_assert_no_error (error);
  review = queue_of (queues, "biz/review");
  g_assert_cmpint (json_object_get_int_member (review, "service_waiting"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (review, "alert_waiting"), ==, 3);
  g_assert_true (json_object_get_boolean_member (review, "alert"));
  g_assert_true (json_object_get_null_member (queue_of (queues, "stat/report"), "alert_waiting"));
  g_assert_false (json_object_get_boolean_member (queue_of (queues, "stat/report"), "alert"));

  /* A001 moves on to acceptance and still waits for the service; then it is called at w2,
   * and w1 serves A002 (statistics) and calls A003. */
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), "A001");
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));
  assert_cmpstr_free (act (fixture, "w2", OW_WINDOW_CALL, NULL), "A001");
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), "A002");
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));
  assert_cmpstr_free (act (fixture, "w1", OW_WINDOW_CALL, NULL), "A003");
  later = ow_hall_list_queues (fixture->hall, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (queue_of (later, "biz/review"), "service_waiting"), ==, 2);
  g_assert_false (json_object_get_boolean_member (queue_of (later, "biz/review"), "alert"));

  g_free (issue (fixture, "biz", FALSE));
  g_assert_cmpint (count_events (fixture, "alert"), ==, 2);
}

static JsonObject *
promise_of (HallFixture *fixture,
            const char  *number)
{
  g_autoptr(JsonObject) t = ticket (fixture, number);

  if (json_object_get_null_member (t, "promise"))
    return NULL;
  return json_object_ref (json_object_get_object_member (t, "promise"));
}

/* 容缺受理 (DOMAIN.md): a step completes with documents missing on the citizen's promise to
 * bring them by a day; the ticket goes on, owes them until they are supplied, and is
 * overdue after the day. */
static void
test_promise (HallFixture   *fixture,
              gconstpointer  user_data)
{
  const char *lease[] = { "lease", NULL };
  const char *both[] = { "id-card", "lease", NULL };
  const char *unknown[] = { "passport", NULL };
  OwWindowArgs default_day = { .missing = lease };
  OwWindowArgs later = { .missing = both, .deadline = "2026-03-20" };
  g_autofree char *a1 = issue (fixture, "biz", FALSE);
  g_autoptr(JsonObject) promise = NULL;
  g_autoptr(JsonArray) owed = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *documents;

  /* Monday 2026-03-02: bad deadlines and documents change nothing. */
  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  {
    const char *bad_days[] = { "2026-03-02", "2026-03-01", "2026-3-10", "2026-02-30", "2027-01-01", "soon" };

    for (guint i = 0; i < G_N_ELEMENTS (bad_days); i++)
      {
        OwWindowArgs bad = { .missing = lease, .deadline = bad_days[i] };

        assert_error_code (fixture, "w1", OW_WINDOW_COMPLETE, &bad, OW_HALL_ERROR_INVALID);
      }
  }
  {
    OwWindowArgs no_documents = { .deadline = "2026-03-10" };
    OwWindowArgs not_listed = { .missing = unknown };

    assert_error_code (fixture, "w1", OW_WINDOW_COMPLETE, &no_documents, OW_HALL_ERROR_INVALID);
    assert_error_code (fixture, "w1", OW_WINDOW_COMPLETE, &not_listed, OW_HALL_ERROR_NOT_FOUND);
  }
  g_assert_null (promise_of (fixture, a1));

  /* Completed at pre-review: on to acceptance, owing the lease within five working days. */
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, &default_day));
  assert_cmpstr_free (ticket_state (fixture, a1), "waiting");
  promise = promise_of (fixture, a1);
  g_assert_nonnull (promise);
  g_assert_cmpstr (json_object_get_string_member (promise, "deadline"), ==, "2026-03-09");
  g_assert_false (json_object_get_boolean_member (promise, "overdue"));
  g_clear_pointer (&promise, json_object_unref);

  /* Acceptance adds the ID card and a later day: both are owed by then. */
  g_free (act (fixture, "w2", OW_WINDOW_CALL, NULL));
  g_free (act (fixture, "w2", OW_WINDOW_COMPLETE, &later));
  promise = promise_of (fixture, a1);
  documents = json_object_get_array_member (promise, "documents");
  g_assert_cmpuint (json_array_get_length (documents), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (documents, 0), ==, "lease");
  g_assert_cmpstr (json_array_get_string_element (documents, 1), ==, "id-card");
  g_assert_cmpstr (json_object_get_string_member (promise, "deadline"), ==, "2026-03-20");
  g_clear_pointer (&promise, json_object_unref);
  g_assert_cmpint (count_events (fixture, "complete"), ==, 2);

  owed = ow_hall_list_promises (fixture->hall, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (owed), ==, 1);
  g_assert_false (json_object_get_boolean_member (json_array_get_object_element (owed, 0), "overdue"));
  g_clear_pointer (&owed, json_array_unref);

  /* The lease comes first; the ID card after the day has passed. */
  {
    g_autoptr(JsonObject) wrong = ow_hall_supply_documents (fixture->hall, NULL, a1, unknown, &error);

    g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_NOT_FOUND);
    g_assert_null (wrong);
    g_clear_error (&error);
  }
  {
    g_autoptr(JsonObject) t = ow_hall_supply_documents (fixture->hall, NULL, a1, lease, &error);

    g_assert_no_error (error);
    documents = json_object_get_array_member (json_object_get_object_member (t, "promise"), "documents");
    g_assert_cmpuint (json_array_get_length (documents), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (documents, 0), ==, "id-card");
  }
  ow_clock_set (fixture->clock, test_morning () + (gint64) 20 * 24 * 3600 * G_USEC_PER_SEC);
  owed = ow_hall_list_promises (fixture->hall, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (owed, 0), "overdue"));
  {
    g_autoptr(JsonObject) token_ticket = ticket (fixture, a1);
    g_autoptr(JsonObject) t = NULL;
    g_autoptr(JsonObject) again = NULL;

    t = ow_hall_supply_documents (fixture->hall, NULL, json_object_get_string_member (token_ticket, "token"),
                                  NULL, &error);
    g_assert_no_error (error);
    g_assert_true (json_object_get_null_member (t, "promise"));
    again = ow_hall_supply_documents (fixture->hall, NULL, json_object_get_string_member (token_ticket, "token"),
                                      NULL, &error);
    g_assert_error (error, OW_HALL_ERROR, OW_HALL_ERROR_WRONG_STATE);
    g_assert_null (again);
  }
  g_assert_cmpint (count_events (fixture, "supply"), ==, 2);
}

/* Deadlines count the hall's working days: the catalogue's holidays are skipped. */
static void
test_promise_holidays (HallFixture   *fixture,
                       gconstpointer  user_data)
{
  const char *lease[] = { "lease", NULL };
  OwWindowArgs args = { .missing = lease };
  g_autoptr(GString) catalog = g_string_new (test_catalog);
  g_autoptr(GError) error = NULL;
  g_autofree char *a1 = NULL;
  g_autoptr(JsonObject) promise = NULL;

  g_assert_cmpuint (g_string_replace (catalog, "\"rules\": {\"no_show_limit\": 2}",
                                      "\"rules\": {\"no_show_limit\": 2, \"holidays\": [\"2026-03-04\"]}", 1),
                    ==, 1);
  ow_catalog_import_data (fixture->db, fixture->clock, NULL, "holidays.json", catalog->str, -1, NULL, &error);
  g_assert_no_error (error);

  a1 = issue (fixture, "biz", FALSE);
  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, &args));
  /* Monday 2026-03-02 + 5 working days, Wednesday off: Tuesday 2026-03-10. */
  promise = promise_of (fixture, a1);
  g_assert_cmpstr (json_object_get_string_member (promise, "deadline"), ==, "2026-03-10");
}

static int
page_size_of (OwDb *db)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, "PRAGMA page_size", NULL);

  g_assert_cmpint (ow_db_step_row (db, stmt, NULL), ==, SQLITE_ROW);
  return sqlite3_column_int (stmt, 0);
}

/* A new hall gets the engine's small pages, even though WAL mode writes the first page; a
 * hall created with SQLite's default 4 KiB pages keeps them and works as before. */
static void
test_page_size (HallFixture   *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *old_path = g_build_filename (fixture->dir, "old.db", NULL);
  g_autoptr(OwDb) old = NULL;
  g_autoptr(OwHall) old_hall = NULL;
  g_autoptr(JsonObject) ticket = NULL;
  sqlite3 *plain;

  g_assert_cmpint (page_size_of (fixture->db), ==, OW_DB_PAGE_SIZE);

  g_assert_cmpint (sqlite3_open (old_path, &plain), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (plain, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;"
                                        "CREATE TABLE before_us (x)", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (plain);

  old = ow_db_open (old_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (page_size_of (old), ==, 4096);
  old_hall = ow_hall_new (old, fixture->clock);
  ow_catalog_import_data (old, fixture->clock, NULL, "test-catalog.json", test_catalog, -1, NULL, &error);
  g_assert_no_error (error);
  ticket = ow_hall_issue_ticket (old_hall, NULL, "biz", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (ticket, "number"), ==, "A001");
}

static gint64
query_int64 (OwDb       *db,
             const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, sql, NULL);

  g_assert_nonnull (stmt);
  g_assert_cmpint (ow_db_step_row (db, stmt, NULL), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

/* Tickets open while a hall upgrades to schema 7 (the ticket's link to its visit) carry on:
 * each still has exactly its one open visit, the one it points at, and the visits that had
 * ended stay as they were. */
static void
test_visit_link_upgrade (HallFixture   *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) upgraded = NULL;
  g_autoptr(OwHall) hall = NULL;
  gint64 ended_before;
  const char *ended_sql = "SELECT count(*) FROM visits WHERE ended_at IS NOT NULL";
  const char *ended_sum_sql = "SELECT sum (id * 7 + ended_at % 1000003 + length (outcome)) FROM visits"
                              " WHERE ended_at IS NOT NULL";
  gint64 ended_sum;

  for (int i = 0; i < 3; i++)
    g_free (issue (fixture, "biz", FALSE));
  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));
  g_free (act (fixture, "w1", OW_WINDOW_COMPLETE, NULL));   /* A001 waits at acceptance */
  g_free (act (fixture, "w2", OW_WINDOW_CALL, NULL));       /* and is called there */
  g_free (act (fixture, "w1", OW_WINDOW_CALL, NULL));       /* A002 is called at pre-review */
  ended_before = query_int64 (fixture->db, ended_sql);
  ended_sum = query_int64 (fixture->db, ended_sum_sql);
  g_assert_cmpint (ended_before, ==, 1);

  /* Back to schema 6, as a hall that has not upgraded yet. */
  g_assert_true (ow_db_exec (fixture->db,
                             "DROP TRIGGER step_waiting_insert; DROP TRIGGER step_waiting_delete;"
                             "DROP TRIGGER step_waiting_update; DROP TABLE step_waiting;"
                             "CREATE INDEX visits_open ON visits (ticket) WHERE ended_at IS NULL;"
                             "ALTER TABLE tickets DROP COLUMN visit;"
                             "PRAGMA user_version = 6;",
                             &error));
  g_assert_no_error (error);

  upgraded = ow_db_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ow_db_get_schema_version (upgraded), >=, 7);
  /* Migration 8 counted the tickets waiting then (A003). */
  assert_waiting_counts (upgraded);
  g_assert_cmpint (query_int64 (upgraded, "SELECT count(*) FROM tickets t"
                                          " WHERE visit IS NOT (SELECT max (id) FROM visits WHERE ticket = t.id)"), ==, 0);
  g_assert_cmpint (query_int64 (upgraded, ended_sum_sql), ==, ended_sum);

  hall = ow_hall_new (upgraded, fixture->clock);
  ow_clock_advance (fixture->clock, 60 * G_USEC_PER_SEC);
  g_free (act_on (hall, "w2", OW_WINDOW_COMPLETE, NULL));   /* A001 moves on to the fee */
  g_free (act_on (hall, "w1", OW_WINDOW_COMPLETE, NULL));   /* A002 to acceptance */
  g_free (act_on (hall, "w1", OW_WINDOW_CALL, NULL));       /* A003 is called */

  /* Every visit that had ended is untouched; the two steps just finished ended theirs. */
  g_assert_cmpint (query_int64 (upgraded, ended_sql), ==, ended_before + 2);
  g_assert_cmpint (query_int64 (upgraded, "SELECT count(*) FROM visits WHERE ended_at IS NOT NULL"
                                          " AND outcome = 'done'"), ==, 3);
  g_assert_cmpint (query_int64 (upgraded, "SELECT count(*) FROM visits WHERE step = 'biz/accept'"
                                          " AND window = 'w2' AND outcome = 'done'"), ==, 1);
  /* One open visit per open ticket, the one it points at. */
  g_assert_cmpint (query_int64 (upgraded, "SELECT count(*) FROM tickets t WHERE"
                                          " (SELECT count(*) FROM visits v WHERE v.ticket = t.id AND v.ended_at IS NULL)"
                                          " != (t.state IN ('waiting', 'called', 'serving'))"), ==, 0);
  g_assert_cmpint (query_int64 (upgraded, "SELECT count(*) FROM tickets t JOIN visits v ON v.id = t.visit"
                                          " WHERE t.state IN ('waiting', 'called', 'serving')"
                                          " AND (v.ended_at IS NOT NULL OR v.step != t.step)"), ==, 0);
  g_assert_cmpint (query_int64 (upgraded, "SELECT count(*) FROM tickets t"
                                          " WHERE visit IS NOT (SELECT max (id) FROM visits WHERE ticket = t.id)"), ==, 0);
}

/* A count put out of step with the tickets (by a hand edit of the database) is counted
 * again with the next day's first operation. */
static void
test_waiting_counts_recounted (HallFixture   *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  g_free (issue (fixture, "biz", FALSE));
  g_assert_true (ow_db_exec (fixture->db, "UPDATE step_waiting SET n = n + 5", &error));
  g_assert_no_error (error);
  advance_minutes (fixture, 24 * 60);
  g_free (issue (fixture, "biz", FALSE));
  g_assert_cmpint (window_waiting (fixture, "w1"), ==, 1);
  assert_waiting_counts (fixture->db);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, HallFixture, NULL, hall_fixture_set_up, fn, hall_fixture_tear_down)
  ADD ("/ow/engine/numbering", test_numbering);
  ADD ("/ow/engine/day-rollover", test_day_rollover);
  ADD ("/ow/engine/hours-cap-green", test_hours_cap_green);
  ADD ("/ow/engine/calling-order", test_calling_order);
  ADD ("/ow/engine/full-flow", test_full_flow);
  ADD ("/ow/engine/window-rules", test_window_rules);
  ADD ("/ow/engine/no-show", test_no_show);
  ADD ("/ow/engine/no-show-configurable", test_no_show_configurable);
  ADD ("/ow/engine/return-reenter", test_return_and_reenter);
  ADD ("/ow/engine/transfer", test_transfer);
  ADD ("/ow/engine/waiting-counts-recounted", test_waiting_counts_recounted);
  ADD ("/ow/engine/staff", test_staff);
  ADD ("/ow/engine/every-change-logged", test_every_change_logged);
  ADD ("/ow/engine/concurrent-processes", test_concurrent_processes);
  ADD ("/ow/engine/queues-waiting", test_queues_and_waiting);
  ADD ("/ow/engine/background-checkpoint", test_background_checkpoint);
  ADD ("/ow/engine/promise", test_promise);
  ADD ("/ow/engine/promise-holidays", test_promise_holidays);
  ADD ("/ow/engine/catalog-cache-follows-imports", test_catalog_cache_follows_imports);
  ADD ("/ow/engine/wal-vfs-readers", test_wal_vfs_readers);
  ADD ("/ow/engine/wal-vfs-kill", test_wal_vfs_kill);
  ADD ("/ow/engine/wal-vfs-rolled-back-spill", test_wal_vfs_rolled_back_spill);
  ADD ("/ow/engine/waiting-alert", test_waiting_alert);
  ADD ("/ow/engine/page-size", test_page_size);
  ADD ("/ow/engine/visit-link-upgrade", test_visit_link_upgrade);
#undef ADD

  return g_test_run ();
}
