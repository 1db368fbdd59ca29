/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define OW_TYPE_COUNTER_REASON_DIALOG (ow_counter_reason_dialog_get_type ())
G_DECLARE_FINAL_TYPE (OwCounterReasonDialog, ow_counter_reason_dialog, OW, COUNTER_REASON_DIALOG, GtkWindow)

/* Asks for a reason (pausing, resuming) and emits ::submit with {"reason": ...}.  With
 * @required, the button stays off until something is typed. */
GtkWidget *ow_counter_reason_dialog_new (GtkWindow  *parent,
                                         const char *heading,
                                         const char *submit_label,
                                         gboolean    required);

G_END_DECLS
