/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Header-only, so that the GTK apps share it without linking the core (they run no SQL).
 * Needs config.h first (GETTEXT_PACKAGE, LOCALEDIR, BUILD_LOCALEDIR). */

#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

/* The language the environment asks for ("zh_CN" from LANG=zh_CN.UTF-8), or NULL for the C
 * locale: what setlocale () would pick, had the system generated that locale. */
static inline char *
ow_i18n_environment_language (void)
{
  const char *names[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = g_getenv (names[i]);

      if (value == NULL || *value == '\0')
        continue;
      if (g_str_equal (value, "C") || g_str_equal (value, "POSIX") || g_str_has_prefix (value, "C."))
        return NULL;
      return g_strndup (value, strcspn (value, ".@"));
    }
  return NULL;
}

/* The locale from the environment, and our messages from the installed catalogue, or from the
 * build tree before installation (or OW_LOCALEDIR).  In the plain C locale gettext ignores
 * LANGUAGE, which --lang, the status page and the apps' language switch rely on: C.UTF-8
 * instead.  Call it before starting threads: it may set LANGUAGE. */
static inline void
ow_i18n_init (void)
{
  const char *localedir = g_getenv ("OW_LOCALEDIR");
  g_autofree char *installed = g_build_filename (LOCALEDIR, "zh_CN", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  if (setlocale (LC_ALL, "") == NULL || g_strcmp0 (setlocale (LC_MESSAGES, NULL), "C") == 0)
    {
      /* A bare Debian has generated no locale but C.UTF-8: LANG=zh_CN.UTF-8 fails, and the
       * messages would be English.  Our catalogue needs no locale data, only the language,
       * which LANGUAGE gives gettext under C.UTF-8. */
      g_autofree char *language = ow_i18n_environment_language ();
      const char *explicit = g_getenv ("LANGUAGE");

      setlocale (LC_ALL, "C.UTF-8");
      if (language != NULL && (explicit == NULL || *explicit == '\0'))
        g_setenv ("LANGUAGE", language, TRUE);
    }
  if (localedir == NULL)
    localedir = g_file_test (installed, G_FILE_TEST_EXISTS) ? LOCALEDIR : BUILD_LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
