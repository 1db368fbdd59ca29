/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Small helpers over the catalogue (docs/CATALOG.md) and the TICKET object (docs/CLI.md) that
 * the kiosk's pages share.  They only read JSON; they never talk to the server. */

/* The green-channel categories the kiosk offers.  Only the category is recorded (DOMAIN.md):
 * never a certificate number. */
typedef struct
{
  const char *id;      /* sent to the server as "green_category" */
  const char *label;   /* N_() msgid */
} OwKioskGreenCategory;

const OwKioskGreenCategory *ow_kiosk_green_categories        (guint        *n_categories);
const char                 *ow_kiosk_green_category_label    (const char   *id);

JsonObject *ow_kiosk_catalog_find          (JsonObject  *catalog,
                                            const char  *array,
                                            const char  *key,
                                            const char  *value);
JsonObject *ow_kiosk_catalog_find_service  (JsonObject  *catalog,
                                            const char  *code);
/* The active services of @department in catalogue order; the array is new, the objects are
 * the catalogue's own. */
GPtrArray  *ow_kiosk_catalog_services_of   (JsonObject  *catalog,
                                            const char  *department);
/* The localized name of @object's "name" member. */
const char *ow_kiosk_name                  (JsonObject  *object);
const char *ow_kiosk_hall_name             (JsonObject  *catalog);

/* Whether @minute_of_day (0..1439) falls into one of the "HH:MM-HH:MM" ranges of @hours. */
gboolean    ow_kiosk_hours_open            (JsonArray   *hours,
                                            int          minute_of_day);
/* "08:30–12:00, 13:30–17:30" in the current language. */
char       *ow_kiosk_format_hours          (JsonArray   *hours);
/* "15 minutes", "1 hour 30 minutes" in the current language. */
char       *ow_kiosk_format_minutes        (gint64       minutes);
/* The ticket token in groups of four, as printed under the QR code. */
char       *ow_kiosk_format_token          (const char  *token);
/* "HH:MM" of an ISO 8601 time, or NULL. */
char       *ow_kiosk_format_clock_time     (const char  *iso8601);

/* Sets the accessible label of @widget (GTK 4.8 has no shorter way). */
void        ow_kiosk_set_accessible_label  (GtkWidget   *widget,
                                            const char  *label);
/* A big touch tile named @widget_name: @title in large type, @subtitle under it, both
 * wrapped and centred, and both read out by screen readers. */
GtkWidget  *ow_kiosk_tile_new              (const char  *widget_name,
                                            const char  *title,
                                            const char  *subtitle);
/* Removes every child of @box (a GtkBox or a GtkFlowBox). */
void        ow_kiosk_remove_children       (GtkWidget   *container);

G_END_DECLS
