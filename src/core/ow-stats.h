/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-clock.h"
#include "ow-db.h"

G_BEGIN_DECLS

/* Histogram buckets: whole seconds below 120 s, then buckets 2% wide. */
int         ow_stats_bucket          (gint64              seconds);
gint64      ow_stats_bucket_seconds  (int                 bucket);

/* Works out and stores the figures of every day before @before_day not stored yet, inside
 * the caller's write transaction.  The engine calls it once a day, when the open tickets of
 * earlier days have expired and their figures can no longer change. */
gboolean    ow_stats_seal            (OwDb               *db,
                                      OwClock            *clock,
                                      const char         *before_day,
                                      GError            **error);

/* Statistics for the days from @from_day to @to_day inclusive ('YYYY-MM-DD'; NULL = today). */
JsonObject *ow_stats_query           (OwDb               *db,
                                      OwClock            *clock,
                                      const char         *from_day,
                                      const char         *to_day,
                                      GError            **error);

G_END_DECLS
