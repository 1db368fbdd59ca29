/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define OW_TYPE_CLOCK (ow_clock_get_type ())
G_DECLARE_FINAL_TYPE (OwClock, ow_clock, OW, CLOCK, GObject)

OwClock  *ow_clock_new_system   (void);
OwClock  *ow_clock_new_virtual  (gint64    start_us);
gboolean  ow_clock_is_virtual   (OwClock  *self);
gint64    ow_clock_now          (OwClock  *self);
void      ow_clock_set          (OwClock  *self,
                                 gint64    now_us);
void      ow_clock_advance      (OwClock  *self,
                                 gint64    delta_us);
char     *ow_clock_day          (OwClock  *self,
                                 gint64    at_us);
int       ow_clock_minute_of_day (OwClock *self,
                                 gint64    at_us);
char     *ow_clock_format_iso   (OwClock  *self,
                                 gint64    at_us);
GTimeZone *ow_clock_local_zone   (void);
char     *ow_clock_working_days_after (const char         *day,
                                       int                 working_days,
                                       const char * const *holidays,
                                       const char * const *workdays);
gint64    ow_clock_parse_day    (OwClock  *self,
                                 const char *day);

G_END_DECLS
