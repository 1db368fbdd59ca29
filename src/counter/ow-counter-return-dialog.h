/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ow-counter-session.h"

G_BEGIN_DECLS

#define OW_TYPE_COUNTER_RETURN_DIALOG (ow_counter_return_dialog_get_type ())
G_DECLARE_FINAL_TYPE (OwCounterReturnDialog, ow_counter_return_dialog, OW, COUNTER_RETURN_DIALOG, GtkWindow)

/* Lists the service's required documents as check buttons (each named by its document ID)
 * and emits ::submit with {"missing": [ID...], "reason": ...}. */
GtkWidget *ow_counter_return_dialog_new (GtkWindow        *parent,
                                         OwCounterSession *session,
                                         JsonObject       *ticket);
GtkWidget *ow_counter_return_dialog_new_promise (GtkWindow        *parent,
                                                 OwCounterSession *session,
                                                 JsonObject       *ticket);

G_END_DECLS
