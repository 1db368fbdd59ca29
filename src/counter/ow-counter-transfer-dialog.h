/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ow-counter-session.h"

G_BEGIN_DECLS

#define OW_TYPE_COUNTER_TRANSFER_DIALOG (ow_counter_transfer_dialog_get_type ())
G_DECLARE_FINAL_TYPE (OwCounterTransferDialog, ow_counter_transfer_dialog, OW, COUNTER_TRANSFER_DIALOG, GtkWindow)

/* Picks a step (of any service) or another window, and a reason; emits ::submit with
 * {"to_step"|"to_window": ..., "reason": ...}. */
GtkWidget *ow_counter_transfer_dialog_new        (GtkWindow               *parent,
                                                  OwCounterSession        *session,
                                                  JsonObject              *ticket);
/* Selects the entry for @step_or_window ("biz-reg/accept", "w9"); FALSE when not offered. */
gboolean   ow_counter_transfer_dialog_select     (OwCounterTransferDialog *self,
                                                  const char              *step_or_window);

G_END_DECLS
