/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ow-core.h"
#include "ow-test-waiting.h"

/* A licence in two steps (acceptance at window 1, issuance at window 2, whose limit is one
 * minute so that an overdue step needs no long wait) and a one-step enquiry at window 1. */
static const char stats_catalog[] =
  "{"
  " \"hall\": {\"name\": {\"zh_CN\": \"统计测试大厅\", \"en\": \"Statistics test hall\"}},"
  " \"rules\": {\"no_show_limit\": 2},"
  " \"departments\": [{\"id\": \"market\", \"name\": {\"zh_CN\": \"市场监督管理局\", \"en\": \"Market\"}}],"
  " \"documents\": [{\"id\": \"id-card\", \"name\": {\"zh_CN\": \"居民身份证\", \"en\": \"ID card\"}},"
  "                 {\"id\": \"lease\", \"name\": {\"zh_CN\": \"租赁合同\", \"en\": \"Lease\"}}],"
  " \"services\": ["
  "  {\"code\": \"lic\", \"prefix\": \"L\", \"department\": \"market\","
  "   \"name\": {\"zh_CN\": \"许可证\", \"en\": \"Licence\"},"
  "   \"daily_cap\": 100, \"hours\": [\"00:00-24:00\"], \"green_channel\": false,"
  "   \"documents\": [\"id-card\", \"lease\"],"
  "   \"steps\": [{\"id\": \"lic/accept\", \"name\": {\"zh_CN\": \"受理\", \"en\": \"Acceptance\"}, \"limit_minutes\": 10},"
  "             {\"id\": \"lic/issue\", \"name\": {\"zh_CN\": \"发证\", \"en\": \"Issuance\"}, \"limit_minutes\": 1}]},"
  "  {\"code\": \"info\", \"prefix\": \"I\", \"department\": \"market\","
  "   \"name\": {\"zh_CN\": \"咨询\", \"en\": \"Enquiry\"},"
  "   \"daily_cap\": 100, \"hours\": [\"00:00-24:00\"], \"green_channel\": false,"
  "   \"documents\": [\"id-card\"],"
  "   \"steps\": [{\"id\": \"info/serve\", \"name\": {\"zh_CN\": \"办理\", \"en\": \"Service\"}, \"limit_minutes\": 10}]}"
  " ],"
  " \"windows\": ["
  "  {\"id\": \"w1\", \"number\": 1, \"name\": {\"zh_CN\": \"1号窗口\", \"en\": \"Window 1\"}, \"steps\": [\"lic/accept\", \"info/serve\"]},"
  "  {\"id\": \"w2\", \"number\": 2, \"name\": {\"zh_CN\": \"2号窗口\", \"en\": \"Window 2\"}, \"steps\": [\"lic/issue\"]}"
  " ]"
  "}";

static const OwActor admin = { "cli:test", "test" };

typedef struct
{
  char    *dir;
  char    *path;
  OwDb    *db;
  OwClock *clock;
  OwHall  *hall;
  gint64   day1;   /* 09:00 on 2026-03-02 */
  gint64   day2;   /* 09:00 on 2026-03-03 */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();
  g_autoptr(GDateTime) day1 = g_date_time_new (zone, 2026, 3, 2, 9, 0, 0);
  g_autoptr(GDateTime) day2 = g_date_time_new (zone, 2026, 3, 3, 9, 0, 0);

  fixture->day1 = g_date_time_to_unix (day1) * G_USEC_PER_SEC;
  fixture->day2 = g_date_time_to_unix (day2) * G_USEC_PER_SEC;
  fixture->dir = g_dir_make_tmp ("ow-test-stats-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "hall.db", NULL);
  fixture->db = ow_db_open (fixture->path, &error);
  g_assert_no_error (error);
  fixture->clock = ow_clock_new_virtual (fixture->day1);
  fixture->hall = ow_hall_new (fixture->db, fixture->clock);
  ow_catalog_import_data (fixture->db, fixture->clock, &admin, "stats-catalog.json",
                          stats_catalog, -1, NULL, &error);
  g_assert_no_error (error);
  ow_hall_add_staff (fixture->hall, &admin, "s1", "张三", "counter", "1234", &error);
  g_assert_no_error (error);
  ow_hall_add_staff (fixture->hall, &admin, "s2", "李四", "counter", "5678", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  assert_waiting_counts (fixture->db);
  g_clear_object (&fixture->hall);
  g_clear_object (&fixture->clock);
  g_assert_finalize_object (fixture->db);

  dir = g_dir_open (fixture->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (fixture->dir, name, NULL);

      g_unlink (file);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

/* Sets the clock to @seconds after 09:00 of @day. */
static void
at (Fixture *fixture,
    gint64   day,
    int      seconds)
{
  ow_clock_set (fixture->clock, day + (gint64) seconds * G_USEC_PER_SEC);
}

static void
issue (Fixture    *fixture,
       const char *service,
       const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ticket = ow_hall_issue_ticket (fixture->hall, &admin, service, FALSE,
                                                       NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (ticket, "number"), ==, expected);
}

/* A window action by @staff that must succeed, on the ticket @expected (NULL: whatever). */
static void
act (Fixture        *fixture,
     const char     *window,
     const char     *staff,
     OwWindowAction  action,
     const char     *expected)
{
  static const char * const missing[] = { "lease", NULL };
  g_autoptr(GError) error = NULL;
  OwWindowArgs args = { .staff = staff, .missing = action == OW_WINDOW_RETURN ? missing : NULL };
  OwActor actor = { staff, "test" };
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *actor_name = g_strconcat ("staff:", staff, NULL);

  actor.actor = actor_name;
  result = ow_hall_window_act (fixture->hall, &actor, window, action, &args, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  if (expected != NULL)
    {
      JsonObject *ticket = json_object_get_object_member (result, "ticket");

      g_assert_nonnull (ticket);
      g_assert_cmpstr (json_object_get_string_member (ticket, "number"), ==, expected);
    }
}

/* Day 1, seconds after 09:00 (waits are queue entry -> call, services start -> finish):
 *
 *     0  L001 issued           40  w1 calls L001 (wait 40), starts
 *    10  L002 issued          100  w1 completes L001 (accept: 60 s); L001 queues for issue
 *    20  L003 issued          100  w1 calls L002 (wait 90)
 *    30  I001 issued          110  L002 no-show (first: back in the queue at 110)
 *                             110  w1 calls L003 (wait 90), starts
 *                             130  w2 calls L001 (wait 30), starts
 *                             140  w1 returns L003 (lease missing)
 *                             140  w1 calls I001 (wait 110), starts
 *                             200  w1 completes I001 (60 s): completed
 *                             200  w1 calls L002 (wait 90)
 *                             210  L002 no-show (second: ended)
 *                             220  w2 completes L001 (issue: 90 s, limit 60 s: 30 s over)
 *   220  L004 issued          250  w1 calls L004 (wait 30), starts
 *                             290  w1 completes L004 (accept: 40 s)
 *                             300  w2 calls L004 (wait 10), starts
 *                             320  w2 completes L004 (issue: 20 s): completed
 *
 * Waits, sorted: 10 30 30 40 90 90 90 110: n 8, sum 490, mean 61.25, p50 (4th) 40,
 * p90 (ceil 7.2 = 8th) 110.  Five steps finished, three tickets completed.
 *
 * Day 2: L001 issued at 0; w1 calls at 20 (wait 20), completes at 50 (30 s); w2 calls at 55
 * (wait 5), completes at 200 (145 s: 85 s over the one-minute limit). */
static void
play_day1 (Fixture *f)
{
  at (f, f->day1, 0);
  issue (f, "lic", "L001");
  at (f, f->day1, 10);
  issue (f, "lic", "L002");
  at (f, f->day1, 20);
  issue (f, "lic", "L003");
  at (f, f->day1, 30);
  issue (f, "info", "I001");

  at (f, f->day1, 40);
  act (f, "w1", "s1", OW_WINDOW_CALL, "L001");
  act (f, "w1", "s1", OW_WINDOW_START, "L001");
  at (f, f->day1, 100);
  act (f, "w1", "s1", OW_WINDOW_COMPLETE, "L001");
  act (f, "w1", "s1", OW_WINDOW_CALL, "L002");
  at (f, f->day1, 110);
  act (f, "w1", "s1", OW_WINDOW_NO_SHOW, "L002");
  act (f, "w1", "s1", OW_WINDOW_CALL, "L003");
  act (f, "w1", "s1", OW_WINDOW_START, "L003");
  at (f, f->day1, 130);
  act (f, "w2", "s2", OW_WINDOW_CALL, "L001");
  act (f, "w2", "s2", OW_WINDOW_START, "L001");
  at (f, f->day1, 140);
  act (f, "w1", "s1", OW_WINDOW_RETURN, "L003");
  act (f, "w1", "s1", OW_WINDOW_CALL, "I001");
  act (f, "w1", "s1", OW_WINDOW_START, "I001");
  at (f, f->day1, 200);
  act (f, "w1", "s1", OW_WINDOW_COMPLETE, "I001");
  act (f, "w1", "s1", OW_WINDOW_CALL, "L002");
  at (f, f->day1, 210);
  act (f, "w1", "s1", OW_WINDOW_NO_SHOW, "L002");
  at (f, f->day1, 220);
  act (f, "w2", "s2", OW_WINDOW_COMPLETE, "L001");
  issue (f, "lic", "L004");
  at (f, f->day1, 250);
  act (f, "w1", "s1", OW_WINDOW_CALL, "L004");
  act (f, "w1", "s1", OW_WINDOW_START, "L004");
  at (f, f->day1, 290);
  act (f, "w1", "s1", OW_WINDOW_COMPLETE, "L004");
  at (f, f->day1, 300);
  act (f, "w2", "s2", OW_WINDOW_CALL, "L004");
  act (f, "w2", "s2", OW_WINDOW_START, "L004");
  at (f, f->day1, 320);
  act (f, "w2", "s2", OW_WINDOW_COMPLETE, "L004");
}

static void
play_day2 (Fixture *f)
{
  at (f, f->day2, 0);
  issue (f, "lic", "L001");
  at (f, f->day2, 20);
  act (f, "w1", "s1", OW_WINDOW_CALL, "L001");
  act (f, "w1", "s1", OW_WINDOW_START, "L001");
  at (f, f->day2, 50);
  act (f, "w1", "s1", OW_WINDOW_COMPLETE, "L001");
  at (f, f->day2, 55);
  act (f, "w2", "s2", OW_WINDOW_CALL, "L001");
  act (f, "w2", "s2", OW_WINDOW_START, "L001");
  at (f, f->day2, 200);
  act (f, "w2", "s2", OW_WINDOW_COMPLETE, "L001");
}

static JsonObject *
query (Fixture    *fixture,
       const char *from,
       const char *to)
{
  g_autoptr(GError) error = NULL;
  JsonObject *stats = ow_stats_query (fixture->db, fixture->clock, from, to, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stats);
  return stats;
}

static JsonObject *
find (JsonObject *stats,
      const char *list,
      const char *key,
      const char *id)
{
  JsonArray *array = json_object_get_array_member (stats, list);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *entry = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (entry, key), id) == 0)
        return entry;
    }
  g_error ("no %s '%s' in the statistics' %s", key, id, list);
  return NULL;
}

static void
assert_mean (JsonObject *object,
             const char *member,
             double      expected)
{
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, member), expected, 1e-9);
}

static void
test_counts (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(JsonObject) stats = NULL;

  play_day1 (f);
  stats = query (f, "2026-03-02", "2026-03-02");

  g_assert_cmpstr (json_object_get_string_member (stats, "from"), ==, "2026-03-02");
  g_assert_cmpstr (json_object_get_string_member (stats, "to"), ==, "2026-03-02");
  g_assert_cmpint (json_object_get_int_member (stats, "issued"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (stats, "served"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (stats, "completed"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (stats, "no_shows"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (stats, "returned"), ==, 1);
}

static void
test_waits (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(JsonObject) stats = NULL;
  JsonObject *wait;

  play_day1 (f);
  stats = query (f, "2026-03-02", "2026-03-02");
  wait = json_object_get_object_member (stats, "wait");

  g_assert_cmpint (json_object_get_int_member (wait, "n"), ==, 8);
  assert_mean (wait, "mean_s", 61.25);
  g_assert_cmpint (json_object_get_int_member (wait, "p50_s"), ==, 40);
  g_assert_cmpint (json_object_get_int_member (wait, "p90_s"), ==, 110);
}

static void
test_steps (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(JsonObject) stats = NULL;
  JsonArray *steps;
  JsonObject *step;
  JsonObject *name;

  play_day1 (f);
  stats = query (f, "2026-03-02", "2026-03-02");
  steps = json_object_get_array_member (stats, "steps");

  /* Catalogue order. */
  g_assert_cmpint (json_array_get_length (steps), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (steps, 0), "step"),
                   ==, "lic/accept");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (steps, 1), "step"),
                   ==, "lic/issue");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (steps, 2), "step"),
                   ==, "info/serve");

  step = find (stats, "steps", "step", "lic/accept");
  g_assert_cmpstr (json_object_get_string_member (step, "service"), ==, "lic");
  name = json_object_get_object_member (step, "name");
  g_assert_cmpstr (json_object_get_string_member (name, "zh_CN"), ==, "受理");
  g_assert_cmpstr (json_object_get_string_member (name, "en"), ==, "Acceptance");
  g_assert_cmpint (json_object_get_int_member (step, "limit_minutes"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (step, "served"), ==, 2);
  assert_mean (step, "mean_service_s", 50);
  g_assert_cmpint (json_object_get_int_member (step, "p90_service_s"), ==, 60);
  g_assert_cmpint (json_object_get_int_member (step, "overdue"), ==, 0);

  step = find (stats, "steps", "step", "lic/issue");
  g_assert_cmpint (json_object_get_int_member (step, "limit_minutes"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (step, "served"), ==, 2);
  assert_mean (step, "mean_service_s", 55);
  g_assert_cmpint (json_object_get_int_member (step, "p90_service_s"), ==, 90);
  g_assert_cmpint (json_object_get_int_member (step, "overdue"), ==, 1);

  step = find (stats, "steps", "step", "info/serve");
  g_assert_cmpint (json_object_get_int_member (step, "served"), ==, 1);
  assert_mean (step, "mean_service_s", 60);
  g_assert_cmpint (json_object_get_int_member (step, "p90_service_s"), ==, 60);
  g_assert_cmpint (json_object_get_int_member (step, "overdue"), ==, 0);
}

static void
test_workload (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(JsonObject) stats = NULL;
  JsonObject *entry;

  play_day1 (f);
  stats = query (f, "2026-03-02", "2026-03-02");

  /* Window 1 called L001, L002, L003, I001, L002, L004 and finished L001, I001, L004. */
  entry = find (stats, "windows", "window", "w1");
  g_assert_cmpint (json_object_get_int_member (entry, "number"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (entry, "name"), "zh_CN"), ==,
                   "1号窗口");
  g_assert_cmpint (json_object_get_int_member (entry, "called"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (entry, "served"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (entry, "service_s"), ==, 160);
  assert_mean (entry, "mean_service_s", 160.0 / 3);

  entry = find (stats, "windows", "window", "w2");
  g_assert_cmpint (json_object_get_int_member (entry, "number"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (entry, "called"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (entry, "served"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (entry, "service_s"), ==, 110);
  assert_mean (entry, "mean_service_s", 55);

  entry = find (stats, "staff", "staff", "s1");
  g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, "张三");
  g_assert_cmpint (json_object_get_int_member (entry, "called"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (entry, "served"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (entry, "service_s"), ==, 160);

  entry = find (stats, "staff", "staff", "s2");
  g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, "李四");
  g_assert_cmpint (json_object_get_int_member (entry, "called"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (entry, "served"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (entry, "service_s"), ==, 110);
  assert_mean (entry, "mean_service_s", 55);

  entry = find (stats, "services", "service", "lic");
  g_assert_cmpint (json_object_get_int_member (entry, "issued"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (entry, "served"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (entry, "no_shows"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (entry, "returned"), ==, 1);

  entry = find (stats, "services", "service", "info");
  g_assert_cmpint (json_object_get_int_member (entry, "issued"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (entry, "served"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (entry, "no_shows"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (entry, "returned"), ==, 0);
}

static void
assert_case (JsonObject *overdue,
             guint       index,
             const char *day,
             gint64      service_s,
             gint64      over_s)
{
  JsonObject *entry = json_array_get_object_element (json_object_get_array_member (overdue, "cases"),
                                                     index);

  g_assert_cmpstr (json_object_get_string_member (entry, "ticket"), ==, "L001");
  g_assert_cmpstr (json_object_get_string_member (entry, "day"), ==, day);
  g_assert_cmpstr (json_object_get_string_member (entry, "step"), ==, "lic/issue");
  g_assert_cmpstr (json_object_get_string_member (entry, "window"), ==, "w2");
  g_assert_cmpstr (json_object_get_string_member (entry, "staff"), ==, "s2");
  g_assert_cmpint (json_object_get_int_member (entry, "service_s"), ==, service_s);
  g_assert_cmpint (json_object_get_int_member (entry, "limit_s"), ==, 60);
  g_assert_cmpint (json_object_get_int_member (entry, "over_s"), ==, over_s);
}

static void
test_overdue (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(JsonObject) day1 = NULL;
  g_autoptr(JsonObject) both = NULL;
  JsonObject *overdue;

  play_day1 (f);
  play_day2 (f);

  day1 = query (f, "2026-03-02", "2026-03-02");
  overdue = json_object_get_object_member (day1, "overdue");
  g_assert_cmpint (json_object_get_int_member (overdue, "total"), ==, 1);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (overdue, "cases")), ==, 1);
  assert_case (overdue, 0, "2026-03-02", 90, 30);

  /* Worst first. */
  both = query (f, "2026-03-02", "2026-03-03");
  overdue = json_object_get_object_member (both, "overdue");
  g_assert_cmpint (json_object_get_int_member (overdue, "total"), ==, 2);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (overdue, "cases")), ==, 2);
  assert_case (overdue, 0, "2026-03-03", 145, 85);
  assert_case (overdue, 1, "2026-03-02", 90, 30);
}

static void
test_day_ranges (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autoptr(JsonObject) day2 = NULL;
  g_autoptr(JsonObject) both = NULL;
  g_autoptr(JsonObject) today = NULL;
  g_autoptr(JsonObject) empty = NULL;
  JsonObject *wait;
  JsonArray *days;
  JsonObject *step;

  play_day1 (f);
  play_day2 (f);

  day2 = query (f, "2026-03-03", "2026-03-03");
  g_assert_cmpint (json_object_get_int_member (day2, "issued"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (day2, "served"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (day2, "completed"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (day2, "no_shows"), ==, 0);
  wait = json_object_get_object_member (day2, "wait");
  g_assert_cmpint (json_object_get_int_member (wait, "n"), ==, 2);
  assert_mean (wait, "mean_s", 12.5);
  g_assert_cmpint (json_object_get_int_member (wait, "p50_s"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (wait, "p90_s"), ==, 20);

  /* Waits of both days: 5 10 20 30 30 40 90 90 90 110. */
  both = query (f, "2026-03-02", "2026-03-03");
  g_assert_cmpint (json_object_get_int_member (both, "issued"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (both, "served"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (both, "completed"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (both, "no_shows"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (both, "returned"), ==, 1);
  wait = json_object_get_object_member (both, "wait");
  g_assert_cmpint (json_object_get_int_member (wait, "n"), ==, 10);
  assert_mean (wait, "mean_s", 51.5);
  g_assert_cmpint (json_object_get_int_member (wait, "p50_s"), ==, 30);
  g_assert_cmpint (json_object_get_int_member (wait, "p90_s"), ==, 90);
  step = find (both, "steps", "step", "lic/accept");
  g_assert_cmpint (json_object_get_int_member (step, "served"), ==, 3);
  assert_mean (step, "mean_service_s", 130.0 / 3);

  days = json_object_get_array_member (both, "days");
  g_assert_cmpint (json_array_get_length (days), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (days, 0), "day"),
                   ==, "2026-03-02");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 0), "issued"),
                   ==, 5);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 0), "no_shows"),
                   ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 0), "returned"),
                   ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (days, 1), "day"),
                   ==, "2026-03-03");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 1), "served"),
                   ==, 2);

  /* NULL is today by the hall's clock, which now reads 2026-03-03. */
  today = query (f, NULL, NULL);
  g_assert_cmpstr (json_object_get_string_member (today, "from"), ==, "2026-03-03");
  g_assert_cmpstr (json_object_get_string_member (today, "to"), ==, "2026-03-03");
  g_assert_cmpint (json_object_get_int_member (today, "issued"), ==, 1);

  /* A range without activity: zeros, no means, and the catalogue still listed. */
  empty = query (f, "2026-01-01", "2026-01-31");
  g_assert_cmpint (json_object_get_int_member (empty, "issued"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (empty, "completed"), ==, 0);
  wait = json_object_get_object_member (empty, "wait");
  g_assert_cmpint (json_object_get_int_member (wait, "n"), ==, 0);
  g_assert_true (json_object_get_null_member (wait, "mean_s"));
  g_assert_true (json_object_get_null_member (wait, "p90_s"));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (empty, "days")), ==, 0);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (empty, "steps")), ==, 3);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (empty, "windows")), ==, 2);
  step = find (empty, "steps", "step", "lic/issue");
  g_assert_cmpint (json_object_get_int_member (step, "served"), ==, 0);
  g_assert_true (json_object_get_null_member (step, "mean_service_s"));
  g_assert_true (json_object_get_null_member (step, "p90_service_s"));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (
                     json_object_get_object_member (empty, "overdue"), "cases")), ==, 0);
}

static void
test_bad_days (Fixture       *f,
               gconstpointer  user_data)
{
  static const struct
  {
    const char *from;
    const char *to;
    const char *named;
  } bad[] = {
    { "2026-02-30", "2026-03-02", "2026-02-30" },
    { "2026-03-02", "2026-3-02", "2026-3-02" },
    { " 2026-03-2", "2026-03-02", " 2026-03-2" },
    { "2026-+3-02", "2026-03-02", "2026-+3-02" },
    { "yesterday", NULL, "yesterday" },
    { "", "2026-03-02", "''" },
    { "2026-03-02T00", NULL, "2026-03-02T00" },
    { "2026-03-03", "2026-03-02", "2026-03-03" },
  };

  play_day1 (f);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) stats = ow_stats_query (f->db, f->clock, bad[i].from, bad[i].to, &error);

      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (stats);
      g_assert_nonnull (strstr (error->message, bad[i].named));
      /* No read transaction is left open. */
      g_assert_false (ow_db_in_transaction (f->db));
    }
}

/* Percentiles above two minutes come from 2%-wide buckets: each is reported as the smallest
 * number of seconds its bucket holds, so it is at most 2% below the true value. */
static void
test_long_waits (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autoptr(JsonObject) stats = NULL;
  JsonObject *wait;
  gint64 p50;

  at (f, f->day1, 0);
  issue (f, "info", "I001");
  at (f, f->day1, 1000);
  act (f, "w1", "s1", OW_WINDOW_CALL, "I001");
  act (f, "w1", "s1", OW_WINDOW_COMPLETE, "I001");

  stats = query (f, "2026-03-02", "2026-03-02");
  wait = json_object_get_object_member (stats, "wait");
  assert_mean (wait, "mean_s", 1000);
  p50 = json_object_get_int_member (wait, "p50_s");
  g_assert_cmpint (p50, <=, 1000);
  g_assert_cmpint (p50, >=, 980);
  g_assert_cmpint (ow_stats_bucket (p50), ==, ow_stats_bucket (1000));
  g_assert_cmpint (json_object_get_int_member (wait, "p90_s"), ==, p50);
}

static char *
query_text (Fixture    *fixture,
            OwDb       *db,
            const char *from,
            const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stats = ow_stats_query (db, fixture->clock, from, to, &error);
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  g_assert_no_error (error);
  json_node_set_object (node, stats);
  return json_to_string (node, FALSE);
}

static gint64
count_rows (OwDb       *db,
            const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = ow_db_prepare (db, sql, &error);

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

/* An open day's figures are worked out from its visits; once the day is over they are stored,
 * and read back they are the same. */
static void
test_sealed_day (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *open = NULL;
  g_autofree char *sealed = NULL;
  g_autofree char *setting = NULL;

  play_day1 (f);
  open = query_text (f, f->db, "2026-03-02", "2026-03-02");
  g_assert_cmpint (count_rows (f->db, "SELECT count(*) FROM stat_daily"), ==, 0);

  /* The next morning's sweep expires L003 (returned) and stores the day. */
  at (f, f->day2, 0);
  g_assert_true (ow_hall_expire_old_tickets (f->hall, &error));
  g_assert_no_error (error);
  setting = ow_db_get_setting (f->db, "stats_sealed_before");
  g_assert_cmpstr (setting, ==, "2026-03-03");
  g_assert_cmpint (count_rows (f->db, "SELECT count(*) FROM stat_daily WHERE day = '2026-03-02'"), >, 5);
  g_assert_cmpint (count_rows (f->db, "SELECT count(*) FROM stat_hist WHERE day = '2026-03-02'"), ==, 4);

  sealed = query_text (f, f->db, "2026-03-02", "2026-03-02");
  g_assert_cmpstr (sealed, ==, open);
}

static JsonObject *
hour_entry (JsonObject *stats,
            int         hour)
{
  JsonArray *hours = json_object_get_array_member (stats, "hours");

  for (guint i = 0; i < json_array_get_length (hours); i++)
    {
      JsonObject *entry = json_array_get_object_element (hours, i);

      if (json_object_get_int_member (entry, "hour") == hour)
        return entry;
    }
  return NULL;
}

/* DOMAIN.md: issued, served and no-shows per hour.  Issuing counts at the hour of issue, a
 * call at the hour of the call, a step's outcome at the hour it ended; the same while the
 * day is open and once it is stored. */
static void
test_hours (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  at (f, f->day1, -1);                     /* 08:59:59 */
  issue (f, "lic", "L001");
  at (f, f->day1, 3600);                   /* 10:00:00 */
  act (f, "w1", "s1", OW_WINDOW_CALL, "L001");
  at (f, f->day1, 3660);
  act (f, "w1", "s1", OW_WINDOW_COMPLETE, "L001");
  at (f, f->day1, 7200);                   /* 11:00:00 */
  issue (f, "info", "I001");
  at (f, f->day1, 7210);
  act (f, "w1", "s1", OW_WINDOW_CALL, "I001");
  act (f, "w1", "s1", OW_WINDOW_NO_SHOW, "I001");

  for (int stored = 0; stored < 2; stored++)
    {
      g_autoptr(JsonObject) stats = query (f, "2026-03-02", "2026-03-02");
      JsonObject *eight = hour_entry (stats, 8);
      JsonObject *ten = hour_entry (stats, 10);
      JsonObject *eleven = hour_entry (stats, 11);

      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (stats, "hours")), ==, 3);
      g_assert_nonnull (eight);
      g_assert_cmpint (json_object_get_int_member (eight, "issued"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (eight, "called"), ==, 0);
      g_assert_true (json_object_get_null_member (eight, "mean_wait_s"));
      g_assert_nonnull (ten);
      g_assert_cmpint (json_object_get_int_member (ten, "issued"), ==, 0);
      g_assert_cmpint (json_object_get_int_member (ten, "called"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (ten, "served"), ==, 1);
      assert_mean (ten, "mean_wait_s", 3601);
      g_assert_nonnull (eleven);
      g_assert_cmpint (json_object_get_int_member (eleven, "issued"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (eleven, "called"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (eleven, "no_shows"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (eleven, "served"), ==, 0);

      /* The next morning's sweep stores the day; the second round reads it back. */
      at (f, f->day2, 0);
      g_assert_true (ow_hall_expire_old_tickets (f->hall, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpint (count_rows (f->db, "SELECT count(*) FROM stat_daily WHERE dim LIKE 'hour:%'"), ==, 3);
}

/* Serves an enquiry at w1 by s1 from issue to completion; returns its token. */
static char *
serve_enquiry (Fixture    *f,
               const char *number)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ticket = ow_hall_issue_ticket (f->hall, &admin, "info", FALSE, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (ticket, "number"), ==, number);
  act (f, "w1", "s1", OW_WINDOW_CALL, number);
  act (f, "w1", "s1", OW_WINDOW_COMPLETE, number);
  return g_strdup (json_object_get_string_member (ticket, "token"));
}

static void
assert_move_fails (Fixture    *f,
                   gint64      id,
                   const char *state,
                   const char *note,
                   const char *owner,
                   int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) moved = ow_followup_move (f->hall, &admin, id, state, note, owner, &error);

  g_assert_error (error, OW_HALL_ERROR, code);
  g_assert_null (moved);
}

/* DOMAIN.md: a bad rating is owned by whoever handled the case and followed up within the
 * hall's working days; its owner may appeal; the indicators are the shares followed up and
 * fixed.  Notes stay out of the audit log, which holds their hashes. */
static void
test_followup (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bad_token = NULL;
  g_autofree char *good_token = NULL;
  g_autofree char *late_token = NULL;
  g_autoptr(JsonObject) bad = NULL;
  g_autoptr(JsonObject) good = NULL;
  g_autoptr(JsonObject) late = NULL;
  g_autoptr(JsonArray) open = NULL;
  g_autoptr(JsonArray) everything = NULL;
  g_autoptr(JsonObject) ratings = NULL;
  g_autofree char *weekend = ow_clock_working_days_after ("2026-03-05", 3, NULL, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "Called the citizen back", -1);
  const char *moves[][2] = {
    { "appealed", "The documents really were incomplete" },
    { "contacted", "Called the citizen back" },
    { "fixed", "Form templates now at window 1" },
  };
  JsonObject *entry, *followup;
  gint64 id;

  /* Thursday + 3 working days is the next Tuesday. */
  g_assert_cmpstr (weekend, ==, "2026-03-10");
  {
    /* A week of holidays, then a Saturday worked (调休): test data, not an official calendar. */
    const char *holidays[] = { "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07", NULL };
    const char *workdays[] = { "2026-10-10", NULL };
    g_autofree char *after_holidays = ow_clock_working_days_after ("2026-09-30", 3, holidays, workdays);

    g_assert_cmpstr (after_holidays, ==, "2026-10-10");
  }
  g_assert_null (ow_clock_working_days_after ("2026-02-30", 3, NULL, NULL));

  at (f, f->day1, 0);                      /* Monday 2026-03-02 */
  bad_token = serve_enquiry (f, "I001");
  good_token = serve_enquiry (f, "I002");
  bad = ow_public_rate (f->hall, NULL, bad_token, 1, "Sent away twice", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (bad, "followup_due"), ==, "2026-03-05");
  good = ow_public_rate (f->hall, NULL, good_token, 4, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (json_object_has_member (good, "followup_due"));

  open = ow_followup_list (f->hall, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (open), ==, 1);
  entry = json_array_get_object_element (open, 0);
  id = json_object_get_int_member (entry, "id");
  g_assert_cmpstr (json_object_get_string_member (entry, "ticket"), ==, "I001");
  g_assert_cmpstr (json_object_get_string_member (entry, "state"), ==, "open");
  g_assert_cmpstr (json_object_get_string_member (entry, "staff"), ==, "s1");
  g_assert_cmpstr (json_object_get_string_member (entry, "comment"), ==, "Sent away twice");
  g_assert_false (json_object_get_boolean_member (entry, "overdue"));

  /* Only s1 may appeal, and only appeal; a move needs a real state and a note. */
  assert_move_fails (f, id, "appealed", "Not mine", "s2", OW_HALL_ERROR_NOT_ALLOWED);
  assert_move_fails (f, id, "fixed", "Fixed it myself", "s1", OW_HALL_ERROR_NOT_ALLOWED);
  assert_move_fails (f, id, "done", "Done", NULL, OW_HALL_ERROR_INVALID);
  assert_move_fails (f, id, "contacted", "   ", NULL, OW_HALL_ERROR_INVALID);
  assert_move_fails (f, id, "open", "Again", NULL, OW_HALL_ERROR_WRONG_STATE);
  assert_move_fails (f, id + 1, "contacted", "Called", NULL, OW_HALL_ERROR_NOT_FOUND);

  for (guint i = 0; i < G_N_ELEMENTS (moves); i++)
    {
      g_autoptr(JsonObject) moved = ow_followup_move (f->hall, &admin, id, moves[i][0], moves[i][1],
                                                      i == 0 ? "s1" : NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (moved, "state"), ==, moves[i][0]);
      if (i == 1)
        assert_move_fails (f, id, "verified", "Backwards", NULL, OW_HALL_ERROR_WRONG_STATE);
    }
  assert_move_fails (f, id, "explained", "After the end", NULL, OW_HALL_ERROR_WRONG_STATE);

  g_clear_pointer (&open, json_array_unref);
  open = ow_followup_list (f->hall, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (open), ==, 0);
  everything = ow_followup_list (f->hall, TRUE, "2026-03-02", "2026-03-02", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (everything), ==, 1);
  entry = json_array_get_object_element (everything, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (entry, "notes")), ==, 3);

  /* The log has each move with the note's hash, never the note. */
  g_assert_cmpint (count_rows (f->db, "SELECT count(*) FROM events WHERE action = 'follow_up'"), ==, 3);
  g_assert_cmpint (count_rows (f->db, "SELECT count(*) FROM events WHERE details LIKE '%Called the citizen%'"), ==, 0);
  {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM events WHERE action = 'follow_up'"
                                            " AND json_extract (details, '$.note_sha256') = '%s'", hash);

    g_assert_cmpint (count_rows (f->db, sql), ==, 1);
  }

  /* A second bad rating left alone past its day is overdue. */
  late_token = serve_enquiry (f, "I003");
  late = ow_public_rate (f->hall, NULL, late_token, 2, NULL, &error);
  g_assert_no_error (error);
  ow_clock_set (f->clock, f->day1 + (gint64) 4 * 24 * 3600 * G_USEC_PER_SEC);   /* Friday */
  ratings = ow_public_rating_stats (f->hall, "2026-03-02", "2026-03-02", &error);
  g_assert_no_error (error);
  followup = json_object_get_object_member (ratings, "followup");
  g_assert_cmpint (json_object_get_int_member (followup, "bad"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (followup, "followed_up"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (followup, "fixed"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (followup, "overdue"), ==, 1);
  assert_mean (followup, "fixed_rate", 0.5);
  g_clear_pointer (&open, json_array_unref);
  open = ow_followup_list (f->hall, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (open), ==, 1);
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (open, 0), "overdue"));
}

/* A database whose statistics were kept by every operation (schema 3) keeps its figures:
 * finished days as stored, the latest one worked out from its visits from then on. */
static void
test_upgrade_keeps_figures (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) upgraded = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *setting = NULL;

  play_day1 (f);
  play_day2 (f);
  before = query_text (f, f->db, "2026-03-02", "2026-03-03");

  /* What schema 3 held: aggregates for every day, the latest one included. */
  g_assert_true (ow_db_begin (f->db, TRUE, &error));
  g_assert_true (ow_stats_seal (f->db, f->clock, "2026-03-04", &error));
  g_assert_true (ow_db_commit (f->db, &error));
  /* Undoes migrations 4 and later (a new migration adds its undoing here). */
  g_assert_true (ow_db_exec (f->db,
                             "DROP TABLE day_counts;"
                             "ALTER TABLE counters DROP COLUMN first_visit;"
                             "DELETE FROM settings WHERE key = 'stats_sealed_before';"
                             "DROP TABLE followup_notes;"
                             "DROP INDEX ratings_followup;"
                             "ALTER TABLE ratings DROP COLUMN followup;"
                             "ALTER TABLE ratings DROP COLUMN followup_due;"
                             "ALTER TABLE ratings DROP COLUMN followup_at;"
                             "DROP INDEX tickets_promised;"
                             "ALTER TABLE tickets DROP COLUMN promised;"
                             "ALTER TABLE tickets DROP COLUMN promised_by;"
                             "DROP TRIGGER step_waiting_insert; DROP TRIGGER step_waiting_delete;"
                             "DROP TRIGGER step_waiting_update; DROP TABLE step_waiting;"
                             "CREATE INDEX visits_open ON visits (ticket) WHERE ended_at IS NULL;"
                             "ALTER TABLE tickets DROP COLUMN visit;"
                             "PRAGMA user_version = 3;",
                             &error));
  g_assert_no_error (error);

  upgraded = ow_db_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ow_db_get_schema_version (upgraded), ==, ow_db_get_schema_version (f->db));
  assert_waiting_counts (upgraded);
  setting = ow_db_get_setting (upgraded, "stats_sealed_before");
  g_assert_cmpstr (setting, ==, "2026-03-03");
  g_assert_cmpint (count_rows (upgraded, "SELECT count(*) FROM stat_daily WHERE day = '2026-03-03'"), ==, 0);
  g_assert_cmpint (count_rows (upgraded, "SELECT n FROM day_counts WHERE key = 'issued:lic'"), ==, 1);
  g_assert_cmpint (count_rows (upgraded, "SELECT total FROM day_counts WHERE key = 'served:lic/issue'"), ==, 145);
  /* Migration 7: every ticket points at its latest visit. */
  g_assert_cmpint (count_rows (upgraded, "SELECT count(*) FROM tickets t"
                                         " WHERE visit IS NOT (SELECT max (id) FROM visits WHERE ticket = t.id)"), ==, 0);
  g_assert_cmpint (count_rows (upgraded, "SELECT count(*) FROM tickets WHERE visit IS NULL"), ==, 0);

  after = query_text (f, upgraded, "2026-03-02", "2026-03-03");
  g_assert_cmpstr (after, ==, before);
}

/* The buckets the percentiles rest on: exact below 120 s, then no more than 2% wide. */
static void
test_buckets (void)
{
  for (gint64 s = 0; s <= 200000; s++)
    {
      int bucket = ow_stats_bucket (s);
      gint64 low = ow_stats_bucket_seconds (bucket);

      g_assert_cmpint (low, <=, s);
      g_assert_cmpint (ow_stats_bucket_seconds (bucket + 1), >, s);
      if (s < 120)
        g_assert_cmpint (low, ==, s);
      else
        g_assert_cmpfloat ((double) (s - low) / s, <, 0.02);
    }
}

/* Times in the log, answers and events: the hall's zone, to the second, with its offset. */
static void
test_format_iso (void)
{
  g_autoptr(OwClock) clock = ow_clock_new_virtual (0);
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();
  g_autoptr(GDateTime) morning = g_date_time_new (zone, 2026, 3, 2, 9, 5, 7);
  g_autofree char *text = ow_clock_format_iso (clock, g_date_time_to_unix (morning) * G_USEC_PER_SEC + 999999);

  g_assert_cmpstr (text, ==, "2026-03-02T09:05:07+08:00");
  for (gint64 at = -86400; at < (gint64) 4e9; at += 7777777)
    {
      g_autoptr(GDateTime) local = g_date_time_new_from_unix_local (at);
      g_autofree char *expected = g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");
      g_autofree char *actual = ow_clock_format_iso (clock, at * G_USEC_PER_SEC);

      g_assert_cmpstr (actual, ==, expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ow/stats/buckets", test_buckets);
  g_test_add_func ("/ow/stats/format-iso", test_format_iso);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ow/stats/counts", test_counts);
  ADD ("/ow/stats/waits", test_waits);
  ADD ("/ow/stats/steps", test_steps);
  ADD ("/ow/stats/workload", test_workload);
  ADD ("/ow/stats/overdue", test_overdue);
  ADD ("/ow/stats/day-ranges", test_day_ranges);
  ADD ("/ow/stats/bad-days", test_bad_days);
  ADD ("/ow/stats/long-waits", test_long_waits);
  ADD ("/ow/stats/sealed-day", test_sealed_day);
  ADD ("/ow/stats/hours", test_hours);
  ADD ("/ow/stats/followup", test_followup);
  ADD ("/ow/stats/upgrade-keeps-figures", test_upgrade_keeps_figures);
#undef ADD

  return g_test_run ();
}
