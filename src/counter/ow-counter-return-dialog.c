/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-counter-return-dialog.h"

#include <glib/gi18n.h>

struct _OwCounterReturnDialog
{
  GtkWindow  parent_instance;

  GtkLabel  *heading_label;
  GtkLabel  *hint_label;
  GtkBox    *documents_box;
  GtkEntry  *deadline_entry;
  GtkEntry  *note_entry;
  GtkButton *submit_button;
  gboolean   promise;   /* 容缺受理: complete now, the documents later */
};

G_DEFINE_FINAL_TYPE (OwCounterReturnDialog, ow_counter_return_dialog, GTK_TYPE_WINDOW)

enum {
  SIGNAL_SUBMIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static guint
count_ticked (OwCounterReturnDialog *self,
              JsonArray             *ids)
{
  guint ticked = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->documents_box));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_CHECK_BUTTON (child) && gtk_check_button_get_active (GTK_CHECK_BUTTON (child)))
      {
        ticked++;
        if (ids != NULL)
          json_array_add_string_element (ids, gtk_widget_get_name (child));
      }
  return ticked;
}

static void
toggled_cb (OwCounterReturnDialog *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.submit", count_ticked (self, NULL) > 0);
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OwCounterReturnDialog *self = OW_COUNTER_RETURN_DIALOG (widget);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *note = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->note_entry))));
  JsonArray *missing = json_array_new ();

  json_object_set_array_member (args, "missing", missing);
  if (count_ticked (self, missing) == 0)
    return;
  if (self->promise)
    {
      g_autofree char *deadline = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->deadline_entry))));

      if (*deadline != '\0')
        json_object_set_string_member (args, "deadline", deadline);
    }
  else if (*note != '\0')
    json_object_set_string_member (args, "reason", note);
  g_signal_emit (self, signals[SIGNAL_SUBMIT], 0, args);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
ow_counter_return_dialog_class_init (OwCounterReturnDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/onewindow/counter/ui/ow-counter-return-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, OwCounterReturnDialog, heading_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterReturnDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, OwCounterReturnDialog, documents_box);
  gtk_widget_class_bind_template_child (widget_class, OwCounterReturnDialog, deadline_entry);
  gtk_widget_class_bind_template_child (widget_class, OwCounterReturnDialog, note_entry);
  gtk_widget_class_bind_template_child (widget_class, OwCounterReturnDialog, submit_button);

  gtk_widget_class_install_action (widget_class, "dialog.submit", NULL, submit_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "dialog.submit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "dialog.submit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  /**
   * OwCounterReturnDialog::submit:
   * @args: {"missing": [...], "reason": ...} (a return) or {"missing": [...], "deadline": ...}
   *   (a completion on the citizen's promise), the arguments of the window action
   */
  signals[SIGNAL_SUBMIT] =
    g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
ow_counter_return_dialog_init (OwCounterReturnDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ow_counter_return_dialog_new (GtkWindow        *parent,
                              OwCounterSession *session,
                              JsonObject       *ticket)
{
  OwCounterReturnDialog *self = g_object_new (OW_TYPE_COUNTER_RETURN_DIALOG, "transient-for", parent, NULL);
  const char *number = json_object_get_string_member_with_default (ticket, "number", "");
  JsonObject *service = ow_counter_session_find_service (session,
                                                         json_object_get_string_member_with_default (ticket, "service", NULL));
  JsonArray *documents = service != NULL && json_object_has_member (service, "documents")
                         ? json_object_get_array_member (service, "documents") : NULL;
  g_autofree char *heading = g_strdup_printf (_("Which documents does %s lack?"), number);
  GtkWidget *first = NULL;

  gtk_label_set_label (self->heading_label, heading);
  for (guint i = 0; documents != NULL && i < json_array_get_length (documents); i++)
    {
      const char *id = json_array_get_string_element (documents, i);
      g_autofree char *label = NULL;
      GtkWidget *check;

      /* Alt+1 … Alt+9 tick the first nine without leaving the keyboard. */
      label = i < 9 ? g_strdup_printf ("_%u  %s", i + 1, ow_counter_session_document_name (session, id))
                    : g_strdup (ow_counter_session_document_name (session, id));
      check = gtk_check_button_new_with_mnemonic (label);
      gtk_widget_set_name (check, id);
      g_signal_connect_swapped (check, "toggled", G_CALLBACK (toggled_cb), self);
      gtk_box_append (self->documents_box, check);
      if (first == NULL)
        first = check;
    }
  toggled_cb (self);
  if (first != NULL)
    gtk_widget_grab_focus (first);
  return GTK_WIDGET (self);
}

/* 容缺受理: the same list, for the documents the citizen will bring later; the step is
 * completed now, and ::submit carries the deadline typed, if any. */
GtkWidget *
ow_counter_return_dialog_new_promise (GtkWindow        *parent,
                                      OwCounterSession *session,
                                      JsonObject       *ticket)
{
  OwCounterReturnDialog *self = OW_COUNTER_RETURN_DIALOG (ow_counter_return_dialog_new (parent, session, ticket));
  g_autofree char *heading = g_strdup_printf (_("Which documents will %s bring later?"),
                                              json_object_get_string_member_with_default (ticket, "number", ""));

  self->promise = TRUE;
  gtk_window_set_title (GTK_WINDOW (self), _("Complete on a promise (容缺受理)"));
  gtk_label_set_label (self->heading_label, heading);
  gtk_label_set_label (self->hint_label,
                       _("The step is completed now. The citizen signs a promise to bring the ticked documents "
                         "by the deadline; the status page reminds them."));
  gtk_widget_set_visible (GTK_WIDGET (self->deadline_entry), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->note_entry), FALSE);
  gtk_button_set_label (self->submit_button, _("Complete on promise (Ctrl+Enter)"));
  return GTK_WIDGET (self);
}
