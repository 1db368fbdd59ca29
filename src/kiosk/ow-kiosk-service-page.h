/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define OW_TYPE_KIOSK_SERVICE_PAGE (ow_kiosk_service_page_get_type ())
G_DECLARE_FINAL_TYPE (OwKioskServicePage, ow_kiosk_service_page, OW, KIOSK_SERVICE_PAGE, GtkBox)

GtkWidget  *ow_kiosk_service_page_new               (void);
void        ow_kiosk_service_page_set_service       (OwKioskServicePage *self,
                                                     JsonObject         *catalog,
                                                     const char         *code);
const char *ow_kiosk_service_page_get_service       (OwKioskServicePage *self);
/* The "queues" array of GET /api/v1/queues, or NULL while it is not known. */
void        ow_kiosk_service_page_set_queues        (OwKioskServicePage *self,
                                                     JsonArray          *queues);
/* The chosen green-channel category, or NULL. */
const char *ow_kiosk_service_page_get_green_category (OwKioskServicePage *self);
void        ow_kiosk_service_page_set_green_category (OwKioskServicePage *self,
                                                     const char         *category);
/* While a ticket is being issued the button is insensitive and a spinner turns. */
void        ow_kiosk_service_page_set_busy          (OwKioskServicePage *self,
                                                     gboolean            busy);
void        ow_kiosk_service_page_set_portrait      (OwKioskServicePage *self,
                                                     gboolean            portrait);

G_END_DECLS
