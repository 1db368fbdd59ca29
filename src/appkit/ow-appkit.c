/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-appkit.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ow-i18n.h"

static char *current_language;

gboolean
ow_widget_save_png (GtkWidget   *widget,
                    const char  *path,
                    GError     **error)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer;
  GtkNative *native;
  int width, height;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  native = gtk_widget_get_native (widget);
  if (width <= 0 || height <= 0 || native == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the widget is not on screen yet");
      return FALSE;
    }

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the widget drew nothing");
      return FALSE;
    }
  renderer = gtk_native_get_renderer (native);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s", path);
      return FALSE;
    }
  return TRUE;
}

void
ow_appkit_init_i18n (void)
{
  ow_i18n_init ();
}

void
ow_appkit_set_language (const char *lang)
{
  /* GNU gettext re-reads LANGUAGE when its catalogue counter changes. */
  extern int _nl_msg_cat_cntr;

  g_return_if_fail (lang != NULL);

  g_free (current_language);
  current_language = g_strdup (lang);
  g_setenv ("LANGUAGE", lang, TRUE);
  ++_nl_msg_cat_cntr;
}

const char *
ow_appkit_get_language (void)
{
  if (current_language == NULL)
    {
      const char * const *names = g_get_language_names ();

      current_language = g_strdup ("en");
      for (guint i = 0; names[i] != NULL; i++)
        if (g_str_has_prefix (names[i], "zh"))
          {
            g_free (current_language);
            current_language = g_strdup ("zh_CN");
            break;
          }
        else if (g_str_has_prefix (names[i], "en"))
          break;
    }
  return current_language;
}

const char *
ow_appkit_localized (JsonNode   *name,
                     const char *lang)
{
  JsonObject *object;

  if (name == NULL || !JSON_NODE_HOLDS_OBJECT (name))
    return "";
  if (lang == NULL)
    lang = ow_appkit_get_language ();
  object = json_node_get_object (name);
  if (json_object_has_member (object, lang))
    return json_object_get_string_member (object, lang);
  if (json_object_has_member (object, "zh_CN"))
    return json_object_get_string_member (object, "zh_CN");
  if (json_object_has_member (object, "en"))
    return json_object_get_string_member (object, "en");
  return "";
}

void
ow_appkit_load_css (const char *resource_path)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

  gtk_css_provider_load_from_resource (provider, resource_path);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}
