/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-ticket-page.h"

#include "ow-appkit.h"
#include "ow-kiosk-qr.h"
#include "ow-kiosk-util.h"

#include <glib/gi18n.h>

/* The issued ticket: "您已领取 A005 号，前方等待 3 人", the printing's progress, and the
 * ticket itself as on paper, QR code included, so that a citizen whose ticket did not print
 * can photograph the screen.  Nothing here is made up: it all comes from the server's
 * answer. */

struct _OwKioskTicketPage
{
  GtkBox             parent_instance;

  GtkBox            *columns;
  GtkLabel          *headline_label;
  GtkLabel          *estimate_label;
  GtkBox            *status_box;
  GtkSpinner        *spinner;
  GtkImage          *status_icon;
  GtkLabel          *status_label;
  GtkButton         *done_button;
  GtkLabel          *hall_label;
  GtkLabel          *number_label;
  GtkLabel          *service_label;
  GtkLabel          *ahead_label;
  GtkLabel          *green_label;
  GtkLabel          *issued_label;
  OwKioskQr         *qr;
  GtkLabel          *token_label;
  GtkLabel          *rule_label;

  JsonObject        *ticket;
  OwKioskPrintState  print_state;
};

G_DEFINE_FINAL_TYPE (OwKioskTicketPage, ow_kiosk_ticket_page, GTK_TYPE_BOX)

static void
ow_kiosk_ticket_page_dispose (GObject *object)
{
  OwKioskTicketPage *self = OW_KIOSK_TICKET_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), OW_TYPE_KIOSK_TICKET_PAGE);
  g_clear_pointer (&self->ticket, json_object_unref);

  G_OBJECT_CLASS (ow_kiosk_ticket_page_parent_class)->dispose (object);
}

static void
ow_kiosk_ticket_page_class_init (OwKioskTicketPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_kiosk_ticket_page_dispose;

  g_type_ensure (OW_TYPE_KIOSK_QR);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/kiosk/ow-kiosk-ticket-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, columns);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, headline_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, estimate_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, status_box);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, done_button);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, hall_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, number_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, service_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, ahead_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, green_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, issued_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, qr);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, token_label);
  gtk_widget_class_bind_template_child (widget_class, OwKioskTicketPage, rule_label);
}

static void
ow_kiosk_ticket_page_init (OwKioskTicketPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ow_kiosk_ticket_page_new (void)
{
  return g_object_new (OW_TYPE_KIOSK_TICKET_PAGE, NULL);
}

void
ow_kiosk_ticket_page_set_ticket (OwKioskTicketPage *self,
                                 JsonObject        *ticket,
                                 JsonObject        *catalog)
{
  const char *number, *category;
  gint64 ahead, wait_s, no_show_limit = 2;
  g_autofree char *headline = NULL;
  g_autofree char *ahead_text = NULL;
  g_autofree char *token = NULL;
  g_autofree char *issued = NULL;
  g_autofree char *issued_text = NULL;
  g_autofree char *rule = NULL;

  g_return_if_fail (OW_IS_KIOSK_TICKET_PAGE (self));
  g_return_if_fail (ticket != NULL);

  if (self->ticket != ticket)
    {
      g_clear_pointer (&self->ticket, json_object_unref);
      self->ticket = json_object_ref (ticket);
    }

  number = json_object_get_string_member_with_default (ticket, "number", "");
  ahead = json_object_get_int_member_with_default (ticket, "ahead", 0);
  wait_s = json_object_get_int_member_with_default (ticket, "estimated_wait_s", 0);

  /* Translators: the kiosk's confirmation; in Chinese exactly "您已领取 %s 号，前方等待 %d 人". */
  headline = g_strdup_printf (ngettext ("You have ticket %s. %d person is waiting ahead of you.",
                                        "You have ticket %s. %d people are waiting ahead of you.",
                                        (gulong) ahead),
                              number, (int) ahead);
  gtk_label_set_label (self->headline_label, headline);
  if (wait_s > 0)
    {
      g_autofree char *duration = ow_kiosk_format_minutes (MAX ((wait_s + 59) / 60, 1));
      g_autofree char *estimate = g_strdup_printf (_("Estimated wait: about %s"), duration);

      gtk_label_set_label (self->estimate_label, estimate);
    }
  else
    gtk_label_set_label (self->estimate_label, _("Please watch the screens: you will be called soon."));

  gtk_label_set_label (self->hall_label, ow_kiosk_hall_name (catalog));
  gtk_label_set_label (self->number_label, number);
  ow_kiosk_set_accessible_label (GTK_WIDGET (self->number_label), number);
  gtk_label_set_label (self->service_label,
                       ow_appkit_localized (json_object_get_member (ticket, "service_name"), NULL));
  ahead_text = g_strdup_printf (_("Waiting ahead of you: %d"), (int) ahead);
  gtk_label_set_label (self->ahead_label, ahead_text);

  category = json_object_get_string_member_with_default (ticket, "green_category", NULL);
  if (json_object_get_boolean_member_with_default (ticket, "green", FALSE))
    {
      /* Translators: on the ticket; %s is a category such as "Elderly". */
      g_autofree char *green = g_strdup_printf (_("Green channel: %s"),
                                                category != NULL ? ow_kiosk_green_category_label (category) : "");

      gtk_label_set_label (self->green_label, green);
      gtk_widget_set_visible (GTK_WIDGET (self->green_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->green_label), FALSE);

  issued = ow_kiosk_format_clock_time (json_object_get_string_member_with_default (ticket, "issued_at", NULL));
  /* Translators: on the ticket: the time it was issued, "09:12". */
  issued_text = g_strdup_printf (_("Issued at %s"), issued != NULL ? issued : "—");
  gtk_label_set_label (self->issued_label, issued_text);

  ow_kiosk_qr_set_text (self->qr, json_object_get_string_member_with_default (ticket, "status_url", NULL));
  token = ow_kiosk_format_token (json_object_get_string_member_with_default (ticket, "token", NULL));
  gtk_label_set_label (self->token_label, token);

  if (catalog != NULL && json_object_has_member (catalog, "rules"))
    no_show_limit = json_object_get_int_member_with_default (json_object_get_object_member (catalog, "rules"),
                                                             "no_show_limit", 2);
  if (no_show_limit <= 1)
    rule = g_strdup (_("If you miss your call, the ticket ends."));
  else
    rule = g_strdup_printf (_("If you miss your call, the ticket goes back into the queue; after %d missed calls it ends."),
                            (int) no_show_limit);
  gtk_label_set_label (self->rule_label, rule);
}

JsonObject *
ow_kiosk_ticket_page_get_ticket (OwKioskTicketPage *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_TICKET_PAGE (self), NULL);

  return self->ticket;
}

void
ow_kiosk_ticket_page_set_print_state (OwKioskTicketPage *self,
                                      OwKioskPrintState  state,
                                      const char        *message)
{
  g_return_if_fail (OW_IS_KIOSK_TICKET_PAGE (self));

  self->print_state = state;
  gtk_spinner_set_spinning (self->spinner, state == OW_KIOSK_PRINT_PRINTING);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), state == OW_KIOSK_PRINT_PRINTING);
  gtk_widget_set_visible (GTK_WIDGET (self->status_icon), state != OW_KIOSK_PRINT_PRINTING);
  gtk_image_set_from_icon_name (self->status_icon,
                                state == OW_KIOSK_PRINT_DONE ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_box), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_box), "success");
  if (state == OW_KIOSK_PRINT_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_box), "error");
  else if (state == OW_KIOSK_PRINT_DONE)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_box), "success");
  gtk_label_set_label (self->status_label, message != NULL ? message : "");
}

OwKioskPrintState
ow_kiosk_ticket_page_get_print_state (OwKioskTicketPage *self)
{
  g_return_val_if_fail (OW_IS_KIOSK_TICKET_PAGE (self), OW_KIOSK_PRINT_PRINTING);

  return self->print_state;
}

void
ow_kiosk_ticket_page_set_portrait (OwKioskTicketPage *self,
                                   gboolean           portrait)
{
  g_return_if_fail (OW_IS_KIOSK_TICKET_PAGE (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->columns),
                                  portrait ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL);
}
