/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-kiosk-util.h"

#include "ow-appkit.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

static const OwKioskGreenCategory green_categories[] = {
  /* Translators: a green-channel (priority) category at the ticket kiosk. */
  { "elderly", N_("Elderly") },
  /* Translators: a green-channel (priority) category at the ticket kiosk. */
  { "disabled", N_("Disabled") },
  /* Translators: a green-channel (priority) category: soldiers and veterans (军人). */
  { "military", N_("Service members") },
  /* Translators: a green-channel (priority) category: families of martyrs (烈属). */
  { "martyr-family", N_("Families of the fallen") },
};

const OwKioskGreenCategory *
ow_kiosk_green_categories (guint *n_categories)
{
  *n_categories = G_N_ELEMENTS (green_categories);
  return green_categories;
}

const char *
ow_kiosk_green_category_label (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (green_categories); i++)
    if (g_strcmp0 (green_categories[i].id, id) == 0)
      return _(green_categories[i].label);
  return id;
}

JsonObject *
ow_kiosk_catalog_find (JsonObject *catalog,
                       const char *array,
                       const char *key,
                       const char *value)
{
  JsonArray *items;

  if (catalog == NULL || value == NULL || !json_object_has_member (catalog, array))
    return NULL;
  items = json_object_get_array_member (catalog, array);
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      if (item != NULL && g_strcmp0 (json_object_get_string_member_with_default (item, key, NULL), value) == 0)
        return item;
    }
  return NULL;
}

JsonObject *
ow_kiosk_catalog_find_service (JsonObject *catalog,
                               const char *code)
{
  return ow_kiosk_catalog_find (catalog, "services", "code", code);
}

GPtrArray *
ow_kiosk_catalog_services_of (JsonObject *catalog,
                              const char *department)
{
  GPtrArray *result = g_ptr_array_new ();
  JsonArray *services;

  if (catalog == NULL || !json_object_has_member (catalog, "services"))
    return result;
  services = json_object_get_array_member (catalog, "services");
  for (guint i = 0; i < json_array_get_length (services); i++)
    {
      JsonObject *service = json_array_get_object_element (services, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (service, "department", NULL), department) == 0)
        g_ptr_array_add (result, service);
    }
  return result;
}

const char *
ow_kiosk_name (JsonObject *object)
{
  if (object == NULL || !json_object_has_member (object, "name"))
    return "";
  return ow_appkit_localized (json_object_get_member (object, "name"), NULL);
}

const char *
ow_kiosk_hall_name (JsonObject *catalog)
{
  if (catalog == NULL || !json_object_has_member (catalog, "hall"))
    return "";
  return ow_kiosk_name (json_object_get_object_member (catalog, "hall"));
}

static gboolean
parse_range (const char *range,
             int        *from,
             int        *to)
{
  int h1, m1, h2, m2;

  if (range == NULL || sscanf (range, "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4)
    return FALSE;
  *from = h1 * 60 + m1;
  *to = h2 * 60 + m2;
  return TRUE;
}

gboolean
ow_kiosk_hours_open (JsonArray *hours,
                     int        minute_of_day)
{
  if (hours == NULL)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (hours); i++)
    {
      int from, to;

      if (parse_range (json_array_get_string_element (hours, i), &from, &to) &&
          minute_of_day >= from && minute_of_day < to)
        return TRUE;
    }
  return FALSE;
}

char *
ow_kiosk_format_hours (JsonArray *hours)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; hours != NULL && i < json_array_get_length (hours); i++)
    {
      int from, to;

      if (!parse_range (json_array_get_string_element (hours, i), &from, &to))
        continue;
      if (out->len > 0)
        /* Translators: separates two time ranges, as in "08:30–12:00, 13:30–17:30". */
        g_string_append (out, _(", "));
      if (from == 0 && to == 24 * 60)
        g_string_append (out, _("all day"));
      else
        /* Word joiners keep a range on one line. */
        g_string_append_printf (out, "%02d:%02d\u2060–\u2060%02d:%02d", from / 60, from % 60, to / 60, to % 60);
    }
  return g_string_free (out, FALSE);
}

char *
ow_kiosk_format_minutes (gint64 minutes)
{
  gint64 hours = minutes / 60, rest = minutes % 60;

  if (hours == 0)
    return g_strdup_printf (ngettext ("%d minute", "%d minutes", (gulong) rest), (int) rest);
  if (rest == 0)
    return g_strdup_printf (ngettext ("%d hour", "%d hours", (gulong) hours), (int) hours);
  /* Translators: a duration, "1 h 30 min". */
  return g_strdup_printf (_("%d h %d min"), (int) hours, (int) rest);
}

char *
ow_kiosk_format_token (const char *token)
{
  GString *out = g_string_new (NULL);
  gsize length = token != NULL ? strlen (token) : 0;

  for (gsize i = 0; i < length; i += 4)
    {
      if (i > 0)
        g_string_append_c (out, i % 16 == 0 ? '\n' : ' ');
      g_string_append_len (out, token + i, MIN (4, length - i));
    }
  return g_string_free (out, FALSE);
}

char *
ow_kiosk_format_clock_time (const char *iso8601)
{
  g_autoptr(GDateTime) parsed = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (iso8601 == NULL)
    return NULL;
  parsed = g_date_time_new_from_iso8601 (iso8601, NULL);
  if (parsed == NULL)
    return NULL;
  local = g_date_time_to_local (parsed);
  return g_date_time_format (local, "%H:%M");
}

void
ow_kiosk_set_accessible_label (GtkWidget  *widget,
                               const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

GtkWidget *
ow_kiosk_tile_new (const char *widget_name,
                   const char *title,
                   const char *subtitle)
{
  g_autofree char *accessible = g_strdup_printf ("%s, %s", title, subtitle);
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  GtkWidget *title_label = gtk_label_new (title);
  GtkWidget *subtitle_label = gtk_label_new (subtitle);

  gtk_widget_set_name (button, widget_name);
  gtk_widget_add_css_class (button, "tile");
  gtk_label_set_wrap (GTK_LABEL (title_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_justify (GTK_LABEL (title_label), GTK_JUSTIFY_CENTER);
  /* Long names wrap instead of widening every tile of the flow box. */
  gtk_label_set_max_width_chars (GTK_LABEL (title_label), 14);
  gtk_label_set_wrap (GTK_LABEL (subtitle_label), TRUE);
  gtk_label_set_justify (GTK_LABEL (subtitle_label), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (title_label, "tile-title");
  gtk_widget_add_css_class (subtitle_label, "tile-subtitle");
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), title_label);
  gtk_box_append (GTK_BOX (box), subtitle_label);
  gtk_button_set_child (GTK_BUTTON (button), box);
  ow_kiosk_set_accessible_label (button, accessible);
  return button;
}

void
ow_kiosk_remove_children (GtkWidget *container)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (container)) != NULL)
    {
      if (GTK_IS_FLOW_BOX (container))
        gtk_flow_box_remove (GTK_FLOW_BOX (container), child);
      else
        gtk_box_remove (GTK_BOX (container), child);
    }
}
