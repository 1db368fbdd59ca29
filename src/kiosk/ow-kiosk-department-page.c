/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-department-page.h"

#include "ow-kiosk-util.h"

#include <glib/gi18n.h>

/* One department's services as tiles.  A tile emits ::service-activated with the service's
 * code; the back button uses the window's kiosk.back action. */

struct _OwKioskDepartmentPage
{
  GtkBox      parent_instance;

  GtkLabel   *title_label;
  GtkFlowBox *services;
};

enum
{
  SIGNAL_SERVICE_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (OwKioskDepartmentPage, ow_kiosk_department_page, GTK_TYPE_BOX)

static void
tile_clicked_cb (GtkButton             *button,
                 OwKioskDepartmentPage *self)
{
  g_signal_emit (self, signals[SIGNAL_SERVICE_ACTIVATED], 0, g_object_get_data (G_OBJECT (button), "service"));
}

static GtkWidget *
make_tile (OwKioskDepartmentPage *self,
           JsonObject            *service)
{
  const char *code = json_object_get_string_member (service, "code");
  g_autofree char *name = g_strdup_printf ("service-%s", code);
  g_autofree char *hours = ow_kiosk_format_hours (json_object_get_array_member (service, "hours"));
  /* Translators: on a service tile: when the kiosk issues tickets for it. */
  g_autofree char *subtitle = g_strdup_printf (_("Tickets: %s"), hours);
  GtkWidget *button = ow_kiosk_tile_new (name, ow_kiosk_name (service), subtitle);

  gtk_widget_add_css_class (button, "service-tile");
  g_object_set_data_full (G_OBJECT (button), "service", g_strdup (code), g_free);
  g_signal_connect_object (button, "clicked", G_CALLBACK (tile_clicked_cb), self, 0);
  return button;
}

static void
ow_kiosk_department_page_class_init (OwKioskDepartmentPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /**
   * OwKioskDepartmentPage::service-activated:
   * @code: the service's code
   */
  signals[SIGNAL_SERVICE_ACTIVATED] =
    g_signal_new ("service-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/kiosk/ow-kiosk-department-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OwKioskDepartmentPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskDepartmentPage, services);
}

static void
ow_kiosk_department_page_init (OwKioskDepartmentPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ow_kiosk_department_page_new (void)
{
  return g_object_new (OW_TYPE_KIOSK_DEPARTMENT_PAGE, NULL);
}

void
ow_kiosk_department_page_set_department (OwKioskDepartmentPage *self,
                                         JsonObject            *catalog,
                                         const char            *department)
{
  g_autoptr(GPtrArray) services = NULL;

  g_return_if_fail (OW_IS_KIOSK_DEPARTMENT_PAGE (self));

  gtk_label_set_label (self->title_label,
                       ow_kiosk_name (ow_kiosk_catalog_find (catalog, "departments", "id", department)));
  ow_kiosk_remove_children (GTK_WIDGET (self->services));
  services = ow_kiosk_catalog_services_of (catalog, department);
  for (guint i = 0; i < services->len; i++)
    {
      GtkWidget *child;

      gtk_flow_box_append (self->services, make_tile (self, g_ptr_array_index (services, i)));
      child = gtk_widget_get_last_child (GTK_WIDGET (self->services));
      gtk_widget_set_focusable (child, FALSE);
    }
}
