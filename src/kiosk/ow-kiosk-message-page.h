/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define OW_TYPE_KIOSK_MESSAGE_PAGE (ow_kiosk_message_page_get_type ())
G_DECLARE_FINAL_TYPE (OwKioskMessagePage, ow_kiosk_message_page, OW, KIOSK_MESSAGE_PAGE, GtkBox)

GtkWidget  *ow_kiosk_message_page_new         (void);
/* A full-page message: @detail (may be NULL) goes under it with a spinner when @working;
 * the "back to the start" button shows when @can_go_home. */
void        ow_kiosk_message_page_set_message (OwKioskMessagePage *self,
                                               const char         *icon_name,
                                               const char         *title,
                                               const char         *description,
                                               const char         *detail,
                                               gboolean            working,
                                               gboolean            can_go_home);
const char *ow_kiosk_message_page_get_title   (OwKioskMessagePage *self);
void        ow_kiosk_message_page_set_detail  (OwKioskMessagePage *self,
                                               const char         *detail);

G_END_DECLS
