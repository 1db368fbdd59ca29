/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Helpers shared by the benchmarks: a temporary hall on a virtual clock. */

#include <glib/gstdio.h>

#include "ow-core.h"

static const char bench_catalog[] =
  "{\"hall\": {\"name\": {\"zh_CN\": \"基准大厅\", \"en\": \"Bench hall\"}},"
  " \"departments\": [{\"id\": \"d\", \"name\": {\"zh_CN\": \"部门\", \"en\": \"Dept\"}}],"
  " \"documents\": [{\"id\": \"id-card\", \"name\": {\"zh_CN\": \"居民身份证\", \"en\": \"ID card\"}}],"
  " \"services\": [{\"code\": \"s\", \"prefix\": \"A\", \"department\": \"d\","
  "   \"name\": {\"zh_CN\": \"事项\", \"en\": \"Service\"}, \"daily_cap\": 9999,"
  "   \"hours\": [\"00:00-24:00\"], \"green_channel\": true, \"documents\": [\"id-card\"],"
  "   \"steps\": [{\"id\": \"s/a\", \"name\": {\"zh_CN\": \"受理\", \"en\": \"Accept\"}, \"limit_minutes\": 10},"
  "             {\"id\": \"s/b\", \"name\": {\"zh_CN\": \"发证\", \"en\": \"Issue\"}, \"limit_minutes\": 10}]}],"
  " \"windows\": [{\"id\": \"w1\", \"number\": 1, \"name\": {\"zh_CN\": \"1号窗口\", \"en\": \"Window 1\"}, \"steps\": [\"s/a\"]},"
  "               {\"id\": \"w2\", \"number\": 2, \"name\": {\"zh_CN\": \"2号窗口\", \"en\": \"Window 2\"}, \"steps\": [\"s/b\"]}]}";

static inline gint64
bench_morning (void)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();
  g_autoptr(GDateTime) dt = g_date_time_new (zone, 2026, 3, 2, 0, 0, 1);

  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

static inline OwHall *
bench_hall_new (const char *path,
                OwClock    *clock)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OwDb) db = ow_db_open (path, &error);

  if (db == NULL || !ow_catalog_import_data (db, clock, NULL, "bench", bench_catalog, -1, NULL, &error))
    g_error ("%s", error->message);
  return ow_hall_new (db, clock);
}

static inline double
bench_seconds (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / 1e6;
}
