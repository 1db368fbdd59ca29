/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the GTK apps share: screenshots, runtime language switching, catalogue names. */

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Renders @widget as it is on screen into a PNG file (GTK 4.8 has no public snapshot call). */
gboolean    ow_widget_save_png      (GtkWidget   *widget,
                                     const char  *path,
                                     GError     **error);

/* Sets up gettext for the "onewindow" domain (OW_LOCALEDIR overrides the folder). */
void        ow_appkit_init_i18n     (void);

/* Switches the language of gettext at run time ("zh_CN" or "en"); widgets must re-read their
 * strings afterwards. */
void        ow_appkit_set_language  (const char  *lang);
const char *ow_appkit_get_language  (void);

/* A catalogue name object {"zh_CN": ..., "en": ...} in @lang (NULL: the current language),
 * falling back to the other language. */
const char *ow_appkit_localized     (JsonNode    *name,
                                     const char  *lang);

/* Loads style.css from @resource_base (e.g. "/org/onewindow/kiosk") for the default display. */
void        ow_appkit_load_css      (const char  *resource_path);

G_END_DECLS
