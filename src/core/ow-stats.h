/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-clock.h"
#include "ow-db.h"

G_BEGIN_DECLS

typedef enum
{
  OW_STAT_ISSUED,     /* service */
  OW_STAT_CALLED,     /* service, step, window, staff, wait_s */
  OW_STAT_SERVED,     /* service, step, window, staff, service_s, overdue; a step finished */
  OW_STAT_NO_SHOW,    /* service, step, window, staff */
  OW_STAT_RETURNED,   /* service, step, window, staff */
} OwStatKind;

typedef struct
{
  OwStatKind  kind;
  const char *service;
  const char *step;
  const char *window;
  const char *staff;
  gint64      wait_s;
  gint64      service_s;
  gboolean    overdue;
} OwStatRecord;

/* Histogram buckets: whole seconds below 120 s, then buckets 2% wide. */
int         ow_stats_bucket          (gint64              seconds);
gint64      ow_stats_bucket_seconds  (int                 bucket);

/* Adds one record to the daily aggregates, inside the caller's transaction. */
gboolean    ow_stats_record          (OwDb               *db,
                                      const char         *day,
                                      const OwStatRecord *record,
                                      GError            **error);

/* Statistics for the days from @from_day to @to_day inclusive ('YYYY-MM-DD'; NULL = today). */
JsonObject *ow_stats_query           (OwDb               *db,
                                      OwClock            *clock,
                                      const char         *from_day,
                                      const char         *to_day,
                                      GError            **error);

G_END_DECLS
