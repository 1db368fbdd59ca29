/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by the core tests: a small hall catalogue and a fixture with a real database file
 * in a temporary folder, driven on a virtual clock. */

#include <glib/gstdio.h>
#include <string.h>

#include "ow-core.h"
#include "ow-test-waiting.h"

/* Two services share the prefix A; biz has four steps at four different windows. */
static const char test_catalog[] =
  "{"
  " \"hall\": {\"name\": {\"zh_CN\": \"测试政务服务中心\", \"en\": \"Test Service Centre\"}},"
  " \"rules\": {\"no_show_limit\": 2},"
  " \"departments\": [{\"id\": \"market\", \"name\": {\"zh_CN\": \"市场监督管理局\", \"en\": \"Market\"}},"
  "                   {\"id\": \"edu\", \"name\": {\"zh_CN\": \"教育局\", \"en\": \"Education\"}}],"
  " \"documents\": [{\"id\": \"id-card\", \"name\": {\"zh_CN\": \"居民身份证\", \"en\": \"ID card\"}},"
  "                 {\"id\": \"lease\", \"name\": {\"zh_CN\": \"租赁合同\", \"en\": \"Lease\"}}],"
  " \"services\": ["
  "  {\"code\": \"biz\", \"prefix\": \"A\", \"department\": \"market\","
  "   \"name\": {\"zh_CN\": \"个体工商户登记\", \"en\": \"Sole proprietor registration\"},"
  "   \"daily_cap\": 2000, \"hours\": [\"08:30-12:00\", \"13:30-17:30\"], \"green_channel\": true,"
  "   \"documents\": [\"id-card\", \"lease\"],"
  "   \"steps\": [{\"id\": \"biz/review\", \"name\": {\"zh_CN\": \"材料预审\", \"en\": \"Pre-review\"}, \"limit_minutes\": 15},"
  "             {\"id\": \"biz/accept\", \"name\": {\"zh_CN\": \"受理\", \"en\": \"Acceptance\"}, \"limit_minutes\": 20},"
  "             {\"id\": \"biz/fee\", \"name\": {\"zh_CN\": \"缴费\", \"en\": \"Fee\"}, \"limit_minutes\": 5},"
  "             {\"id\": \"biz/issue\", \"name\": {\"zh_CN\": \"发照\", \"en\": \"Licence issuance\"}, \"limit_minutes\": 10}]},"
  "  {\"code\": \"stat\", \"prefix\": \"A\", \"department\": \"market\","
  "   \"name\": {\"zh_CN\": \"统计报表\", \"en\": \"Statistics report\"},"
  "   \"daily_cap\": 3, \"hours\": [\"08:30-12:00\"], \"green_channel\": false,"
  "   \"documents\": [\"id-card\"],"
  "   \"steps\": [{\"id\": \"stat/report\", \"name\": {\"zh_CN\": \"报表\", \"en\": \"Report\"}, \"limit_minutes\": 10}]},"
  "  {\"code\": \"edu\", \"prefix\": \"B\", \"department\": \"edu\","
  "   \"name\": {\"zh_CN\": \"入学登记\", \"en\": \"School enrolment\"},"
  "   \"daily_cap\": 100, \"hours\": [\"08:00-18:00\"], \"green_channel\": true,"
  "   \"documents\": [\"id-card\"],"
  "   \"steps\": [{\"id\": \"edu/serve\", \"name\": {\"zh_CN\": \"办理\", \"en\": \"Service\"}, \"limit_minutes\": 10}]}"
  " ],"
  " \"windows\": ["
  "  {\"id\": \"w1\", \"number\": 1, \"name\": {\"zh_CN\": \"1号综合窗口\", \"en\": \"Window 1\"}, \"steps\": [\"biz/review\", \"stat/report\"]},"
  "  {\"id\": \"w2\", \"number\": 2, \"name\": {\"zh_CN\": \"2号窗口\", \"en\": \"Window 2\"}, \"steps\": [\"biz/accept\"]},"
  "  {\"id\": \"w3\", \"number\": 3, \"name\": {\"zh_CN\": \"3号窗口\", \"en\": \"Window 3\"}, \"steps\": [\"biz/fee\"]},"
  "  {\"id\": \"w4\", \"number\": 4, \"name\": {\"zh_CN\": \"4号窗口\", \"en\": \"Window 4\"}, \"steps\": [\"biz/issue\", \"edu/serve\"]},"
  "  {\"id\": \"w5\", \"number\": 5, \"name\": {\"zh_CN\": \"5号窗口\", \"en\": \"Window 5\"}, \"steps\": [\"biz/review\"]}"
  " ]"
  "}";

typedef struct
{
  char    *dir;
  char    *path;
  OwDb    *db;
  OwClock *clock;
  OwHall  *hall;
} HallFixture;

/* 2026-03-02 09:00 in the hall's zone (tests run with TZ=Asia/Shanghai). */
static inline gint64
test_morning (void)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();
  g_autoptr(GDateTime) dt = g_date_time_new (zone, 2026, 3, 2, 9, 0, 0);

  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

static inline void
hall_fixture_set_up (HallFixture   *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ow-test-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "hall.db", NULL);
  fixture->db = ow_db_open (fixture->path, &error);
  g_assert_no_error (error);
  fixture->clock = ow_clock_new_virtual (test_morning ());
  fixture->hall = ow_hall_new (fixture->db, fixture->clock);
  ow_catalog_import_data (fixture->db, fixture->clock, NULL, "test-catalog.json",
                          test_catalog, -1, NULL, &error);
  g_assert_no_error (error);
}

static inline void
remove_tree (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (dir);
}

static inline void
hall_fixture_tear_down (HallFixture   *fixture,
                        gconstpointer  user_data)
{
  assert_waiting_counts (fixture->db);
  g_clear_object (&fixture->hall);
  g_clear_object (&fixture->clock);
  g_assert_finalize_object (fixture->db);
  remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static inline void
advance_minutes (HallFixture *fixture,
                 double       minutes)
{
  ow_clock_advance (fixture->clock, (gint64) (minutes * 60 * G_USEC_PER_SEC));
}

static inline char *
issue (HallFixture *fixture,
       const char  *service,
       gboolean     green)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ticket = ow_hall_issue_ticket (fixture->hall, NULL, service, green, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ticket);
  return g_strdup (json_object_get_string_member (ticket, "number"));
}

/* Runs a window action that must succeed; returns the ticket's number, or NULL for none. */
static inline char *
act_on (OwHall              *hall,
        const char          *window,
        OwWindowAction       action,
        const OwWindowArgs  *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = ow_hall_window_act (hall, NULL, window, action, args, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (json_object_has_member (result, "window"));
  if (json_object_get_null_member (result, "ticket"))
    return NULL;
  return g_strdup (json_object_get_string_member (json_object_get_object_member (result, "ticket"), "number"));
}

static inline char *
act (HallFixture         *fixture,
     const char          *window,
     OwWindowAction       action,
     const OwWindowArgs  *args)
{
  return act_on (fixture->hall, window, action, args);
}

static inline JsonObject *
ticket (HallFixture *fixture,
        const char  *number)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = ow_hall_find_ticket (fixture->hall, number, TRUE, &error);

  g_assert_no_error (error);
  return object;
}

static inline char *
ticket_state (HallFixture *fixture,
              const char  *number)
{
  g_autoptr(JsonObject) object = ticket (fixture, number);

  return g_strdup (json_object_get_string_member (object, "state"));
}

static inline char *
ticket_step (HallFixture *fixture,
             const char  *number)
{
  g_autoptr(JsonObject) object = ticket (fixture, number);

  return g_strdup (json_object_get_string_member (object, "step"));
}
