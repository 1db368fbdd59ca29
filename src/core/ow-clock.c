/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-clock.h"

#include <stdio.h>
#include <string.h>

/* The engine reads time only through an OwClock so that tests and the simulator can run a
 * whole day in milliseconds.  The shipped programs construct only the system clock. */
struct _OwClock
{
  GObject    parent_instance;
  gboolean   is_virtual;
  gint64     now_us;
  GTimeZone *zone;
};

G_DEFINE_FINAL_TYPE (OwClock, ow_clock, G_TYPE_OBJECT)

static void
ow_clock_finalize (GObject *object)
{
  OwClock *self = OW_CLOCK (object);

  g_clear_pointer (&self->zone, g_time_zone_unref);
  G_OBJECT_CLASS (ow_clock_parent_class)->finalize (object);
}

static void
ow_clock_class_init (OwClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ow_clock_finalize;
}

/* The machine's zone, read once.  Without TZ in the environment, GLib's
 * g_time_zone_new_local () reads and parses /etc/localtime on every call (about 10 µs, and
 * g_date_time_to_local () with it): the event stream converted every event that way. */
GTimeZone *
ow_clock_local_zone (void)
{
  static gsize once = 0;
  static GTimeZone *zone;

  if (g_once_init_enter (&once))
    {
      zone = g_time_zone_new_local ();
      g_once_init_leave (&once, 1);
    }
  return zone;
}

static void
ow_clock_init (OwClock *self)
{
  self->zone = g_time_zone_ref (ow_clock_local_zone ());
}

OwClock *
ow_clock_new_system (void)
{
  return g_object_new (OW_TYPE_CLOCK, NULL);
}

OwClock *
ow_clock_new_virtual (gint64 start_us)
{
  OwClock *self = g_object_new (OW_TYPE_CLOCK, NULL);

  self->is_virtual = TRUE;
  self->now_us = start_us;
  return self;
}

gboolean
ow_clock_is_virtual (OwClock *self)
{
  g_return_val_if_fail (OW_IS_CLOCK (self), FALSE);
  return self->is_virtual;
}

gint64
ow_clock_now (OwClock *self)
{
  g_return_val_if_fail (OW_IS_CLOCK (self), 0);
  return self->is_virtual ? self->now_us : g_get_real_time ();
}

void
ow_clock_set (OwClock *self,
              gint64   now_us)
{
  g_return_if_fail (OW_IS_CLOCK (self));
  g_return_if_fail (self->is_virtual);
  self->now_us = now_us;
}

void
ow_clock_advance (OwClock *self,
                  gint64   delta_us)
{
  g_return_if_fail (OW_IS_CLOCK (self));
  g_return_if_fail (self->is_virtual);
  self->now_us += delta_us;
}

static GDateTime *
ow_clock_local (OwClock *self,
                gint64   at_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (at_us / G_USEC_PER_SEC);

  return g_date_time_to_timezone (utc, self->zone);
}

/* The hall's local calendar day, 'YYYY-MM-DD': ticket numbers restart with it. */
char *
ow_clock_day (OwClock *self,
              gint64   at_us)
{
  g_autoptr(GDateTime) local = ow_clock_local (self, at_us);

  return g_date_time_format (local, "%Y-%m-%d");
}

int
ow_clock_minute_of_day (OwClock *self,
                        gint64   at_us)
{
  g_autoptr(GDateTime) local = ow_clock_local (self, at_us);

  return g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local);
}

char *
ow_clock_format_iso (OwClock *self,
                     gint64   at_us)
{
  g_autoptr(GDateTime) local = ow_clock_local (self, at_us);
  int offset_min = (int) (g_date_time_get_utc_offset (local) / G_TIME_SPAN_MINUTE);
  int y, m, d;

  /* By hand: g_date_time_format () goes through the locale for every field, and every
   * operation's answer and every streamed event formats a few times. */
  g_date_time_get_ymd (local, &y, &m, &d);
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d,
                          g_date_time_get_hour (local), g_date_time_get_minute (local),
                          g_date_time_get_second (local), offset_min < 0 ? '-' : '+',
                          ABS (offset_min) / 60, ABS (offset_min) % 60);
}

/* Midnight at the start of @day in the hall's zone, or -1 when @day is not 'YYYY-MM-DD'. */
gint64
ow_clock_parse_day (OwClock    *self,
                    const char *day)
{
  g_autoptr(GDateTime) dt = NULL;
  int y, m, d;
  char tail;

  if (day == NULL || sscanf (day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen (day) != 10)
    return -1;
  dt = g_date_time_new (self->zone, y, m, d, 0, 0, 0);
  if (dt == NULL)
    return -1;
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

/* The day @working_days working days after @day, both 'YYYY-MM-DD'; NULL when @day is not a
 * date.  Working days are Monday to Friday, except @holidays, and the weekend days listed
 * in @workdays (调休); either list may be NULL. */
char *
ow_clock_working_days_after (const char         *day,
                             int                 working_days,
                             const char * const *holidays,
                             const char * const *workdays)
{
  g_autoptr(GDate) date = NULL;
  int y, m, d, counted = 0;
  char tail;

  if (day == NULL || sscanf (day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      !g_date_valid_dmy (d, m, y))
    return NULL;
  date = g_date_new_dmy (d, m, y);
  while (counted < working_days)
    {
      GDateWeekday weekday;
      char text[11];
      gboolean working;

      g_date_add_days (date, 1);
      weekday = g_date_get_weekday (date);
      g_snprintf (text, sizeof text, "%04d-%02d-%02d", g_date_get_year (date), g_date_get_month (date),
                  g_date_get_day (date));
      working = weekday != G_DATE_SATURDAY && weekday != G_DATE_SUNDAY;
      if (working && holidays != NULL && g_strv_contains (holidays, text))
        working = FALSE;
      else if (!working && workdays != NULL && g_strv_contains (workdays, text))
        working = TRUE;
      if (working)
        counted++;
    }
  return g_strdup_printf ("%04d-%02d-%02d", g_date_get_year (date), g_date_get_month (date),
                          g_date_get_day (date));
}
