/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ow-clock.h"
#include "ow-db.h"

G_BEGIN_DECLS

/* A day's statistics as stat_daily and stat_hist store them (db/001-initial.sql), worked out
 * from the day's tickets and visits (ow-stats-record.c).  Inside the core library only. */

typedef struct
{
  gint64 issued;
  gint64 called;
  gint64 served;
  gint64 no_shows;
  gint64 returned;
  gint64 wait_n;
  gint64 wait_sum;      /* seconds */
  gint64 service_n;
  gint64 service_sum;   /* seconds */
  gint64 overdue;
} OwStatCounts;

typedef struct
{
  GHashTable *counts;   /* dim ('', 'service:CODE', 'hour:HH', 'step:ID', 'window:ID', 'staff:ID') -> OwStatCounts */
  GHashTable *hists;    /* dim ('wait', 'service:STEP') -> GArray of guint32, one per bucket */
} OwStatDay;

OwStatDay *ow_stat_day_new     (void);
void       ow_stat_day_free    (OwStatDay   *day);
gboolean   ow_stat_day_collect (OwDb        *db,
                                OwClock     *clock,
                                const char  *day,
                                OwStatDay   *out,
                                GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwStatDay, ow_stat_day_free)

G_END_DECLS
