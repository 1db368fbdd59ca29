/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-message-page.h"

#include <adwaita.h>

/* A whole-screen message in plain words: ticketing paused, no tickets outside the hours or
 * after the daily cap, a kiosk that is not registered. */

struct _OwKioskMessagePage
{
  GtkBox         parent_instance;

  AdwStatusPage *status_page;
  GtkBox        *progress_box;
  GtkSpinner    *spinner;
  GtkLabel      *detail_label;
  GtkButton     *home_button;
};

G_DEFINE_FINAL_TYPE (OwKioskMessagePage, ow_kiosk_message_page, GTK_TYPE_BOX)

static void
ow_kiosk_message_page_class_init (OwKioskMessagePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/kiosk/ow-kiosk-message-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OwKioskMessagePage, status_page);
  gtk_widget_class_bind_template_child (widget_class, OwKioskMessagePage, progress_box);
  gtk_widget_class_bind_template_child (widget_class, OwKioskMessagePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, OwKioskMessagePage, detail_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskMessagePage, home_button);
}

static void
ow_kiosk_message_page_init (OwKioskMessagePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ow_kiosk_message_page_new (void)
{
  return g_object_new (OW_TYPE_KIOSK_MESSAGE_PAGE, NULL);
}

void
ow_kiosk_message_page_set_message (OwKioskMessagePage *self,
                                   const char         *icon_name,
                                   const char         *title,
                                   const char         *description,
                                   const char         *detail,
                                   gboolean            working,
                                   gboolean            can_go_home)
{
  g_return_if_fail (OW_IS_KIOSK_MESSAGE_PAGE (self));

  adw_status_page_set_icon_name (self->status_page, icon_name);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_spinner_set_spinning (self->spinner, working);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), working);
  ow_kiosk_message_page_set_detail (self, detail);
  gtk_widget_set_visible (GTK_WIDGET (self->home_button), can_go_home);
}

const char *
ow_kiosk_message_page_get_title (OwKioskMessagePage *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_MESSAGE_PAGE (self), NULL);

  return adw_status_page_get_title (self->status_page);
}

void
ow_kiosk_message_page_set_detail (OwKioskMessagePage *self,
                                  const char         *detail)
{
  g_return_if_fail (OW_IS_KIOSK_MESSAGE_PAGE (self));

  gtk_label_set_label (self->detail_label, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->progress_box),
                          (detail != NULL && *detail != '\0') || gtk_spinner_get_spinning (self->spinner));
}
