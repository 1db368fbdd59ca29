/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define OW_TYPE_KIOSK_HOME_PAGE (ow_kiosk_home_page_get_type ())
G_DECLARE_FINAL_TYPE (OwKioskHomePage, ow_kiosk_home_page, OW, KIOSK_HOME_PAGE, GtkBox)

GtkWidget *ow_kiosk_home_page_new         (void);
/* Shows the departments that have at least one service, as tiles. */
void       ow_kiosk_home_page_set_catalog (OwKioskHomePage *self,
                                           JsonObject      *catalog);

G_END_DECLS
