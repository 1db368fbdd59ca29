/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define OW_TYPE_COUNTER_WAITING_ROW (ow_counter_waiting_row_get_type ())
G_DECLARE_FINAL_TYPE (OwCounterWaitingRow, ow_counter_waiting_row, OW, COUNTER_WAITING_ROW, GtkListBoxRow)

/* One ticket waiting for the window: its number, green channel or re-entry, the step and the
 * time it has waited so far. */
GtkWidget  *ow_counter_waiting_row_new        (const char          *number,
                                               gboolean             green,
                                               gboolean             reentry,
                                               const char          *step_name,
                                               gint64               waited_s);
const char *ow_counter_waiting_row_get_number (OwCounterWaitingRow *self);
gboolean    ow_counter_waiting_row_get_green  (OwCounterWaitingRow *self);
/* The list was read @age_s seconds ago: the waits have grown by that much since. */
void        ow_counter_waiting_row_set_age    (OwCounterWaitingRow *self,
                                               gint64               age_s);

/* "12:05" or "1:02:03". */
char       *ow_counter_format_duration        (gint64               seconds);

G_END_DECLS
