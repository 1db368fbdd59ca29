/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Header-only, so that the GTK apps share it without linking the core (they run no SQL).
 * Needs config.h first (GETTEXT_PACKAGE, LOCALEDIR, BUILD_LOCALEDIR). */

#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>

/* The locale from the environment, and our messages from the installed catalogue, or from the
 * build tree before installation (or OW_LOCALEDIR).  In the plain C locale gettext ignores
 * LANGUAGE, which --lang, the status page and the apps' language switch rely on: C.UTF-8
 * instead. */
static inline void
ow_i18n_init (void)
{
  const char *localedir = g_getenv ("OW_LOCALEDIR");
  g_autofree char *installed = g_build_filename (LOCALEDIR, "zh_CN", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  if (setlocale (LC_ALL, "") == NULL || g_strcmp0 (setlocale (LC_MESSAGES, NULL), "C") == 0)
    setlocale (LC_ALL, "C.UTF-8");
  if (localedir == NULL)
    localedir = g_file_test (installed, G_FILE_TEST_EXISTS) ? LOCALEDIR : BUILD_LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
