/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define OW_TYPE_KIOSK_DEPARTMENT_PAGE (ow_kiosk_department_page_get_type ())
G_DECLARE_FINAL_TYPE (OwKioskDepartmentPage, ow_kiosk_department_page, OW, KIOSK_DEPARTMENT_PAGE, GtkBox)

GtkWidget *ow_kiosk_department_page_new            (void);
/* Shows the services of @department as tiles. */
void       ow_kiosk_department_page_set_department (OwKioskDepartmentPage *self,
                                                    JsonObject            *catalog,
                                                    const char            *department);

G_END_DECLS
