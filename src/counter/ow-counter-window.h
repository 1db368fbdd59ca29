/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ow-counter-session.h"

G_BEGIN_DECLS

#define OW_TYPE_COUNTER_WINDOW (ow_counter_window_get_type ())
G_DECLARE_FINAL_TYPE (OwCounterWindow, ow_counter_window, OW, COUNTER_WINDOW, AdwApplicationWindow)

/* Loads the counter's style sheet for the default display (once per process). */
void              ow_counter_window_load_style   (void);

/* The counter's one window: sign-in, the ticket in hand, the actions, the waiting list.
 * @application may be NULL (tests). */
OwCounterWindow  *ow_counter_window_new          (GtkApplication   *application,
                                                  OwCounterSession *session);
OwCounterSession *ow_counter_window_get_session  (OwCounterWindow  *self);
/* The CUPS queue for reprinted tickets (NULL: the default destination). */
void              ow_counter_window_set_printer  (OwCounterWindow  *self,
                                                  const char       *queue);
/* The dialog the last action opened and that is still open, or NULL. */
GtkWindow        *ow_counter_window_get_dialog   (OwCounterWindow  *self);

G_END_DECLS
