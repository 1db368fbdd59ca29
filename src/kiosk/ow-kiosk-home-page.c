/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-home-page.h"

#include "ow-kiosk-util.h"

#include <glib/gi18n.h>

/* The first page: the hall's departments as large tiles.  A tile emits
 * ::department-activated with the department's id. */

struct _OwKioskHomePage
{
  GtkBox      parent_instance;

  GtkFlowBox *departments;
};

enum
{
  SIGNAL_DEPARTMENT_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OwKioskHomePage, ow_kiosk_home_page, GTK_TYPE_BOX)

static void
tile_clicked_cb (GtkButton       *button,
                 OwKioskHomePage *self)
{
  const char *id = g_object_get_data (G_OBJECT (button), "department");

  g_signal_emit (self, signals[SIGNAL_DEPARTMENT_ACTIVATED], 0, id);
}

static GtkWidget *
make_tile (OwKioskHomePage *self,
           JsonObject      *department,
           guint            n_services)
{
  const char *id = json_object_get_string_member (department, "id");
  g_autofree char *name = g_strdup_printf ("department-%s", id);
  g_autofree char *count = g_strdup_printf (ngettext ("%u service", "%u services", n_services), n_services);
  GtkWidget *button = ow_kiosk_tile_new (name, ow_kiosk_name (department), count);

  g_object_set_data_full (G_OBJECT (button), "department", g_strdup (id), g_free);
  g_signal_connect_object (button, "clicked", G_CALLBACK (tile_clicked_cb), self, 0);
  return button;
}

static void
ow_kiosk_home_page_class_init (OwKioskHomePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /**
   * OwKioskHomePage::department-activated:
   * @id: the department's id
   */
  signals[SIGNAL_DEPARTMENT_ACTIVATED] =
    g_signal_new ("department-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/kiosk/ow-kiosk-home-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OwKioskHomePage, departments);
}

static void
ow_kiosk_home_page_init (OwKioskHomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ow_kiosk_home_page_new (void)
{
  return g_object_new (OW_TYPE_KIOSK_HOME_PAGE, NULL);
}

void
ow_kiosk_home_page_set_catalog (OwKioskHomePage *self,
                                JsonObject      *catalog)
{
  JsonArray *departments;

  g_return_if_fail (OW_IS_KIOSK_HOME_PAGE (self));

  ow_kiosk_remove_children (GTK_WIDGET (self->departments));
  if (catalog == NULL || !json_object_has_member (catalog, "departments"))
    return;
  departments = json_object_get_array_member (catalog, "departments");
  for (guint i = 0; i < json_array_get_length (departments); i++)
    {
      JsonObject *department = json_array_get_object_element (departments, i);
      g_autoptr(GPtrArray) services = ow_kiosk_catalog_services_of (catalog, json_object_get_string_member (department, "id"));
      GtkWidget *child;

      /* A department without services would lead nowhere. */
      if (services->len == 0)
        continue;
      gtk_flow_box_append (self->departments, make_tile (self, department, services->len));
      /* The button takes the focus; the flow box child around it must not add a tab stop. */
      child = gtk_widget_get_last_child (GTK_WIDGET (self->departments));
      gtk_widget_set_focusable (child, FALSE);
    }
}
