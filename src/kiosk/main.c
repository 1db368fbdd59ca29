/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-appkit.h"
#include "ow-kiosk-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(OwKioskApplication) application = NULL;

  ow_appkit_init_i18n ();
  /* GLib decides once, at its first g_dgettext (), whether to translate at all, and says no
   * under a locale such as C.UTF-8 when the program's own catalogue has nothing for it; the
   * templates are translated through g_dgettext ().  Choose the kiosk's first language
   * before anything translates; --language and the key file may change it later. */
  ow_appkit_set_language ("zh_CN");
  application = ow_kiosk_application_new ();
  return g_application_run (G_APPLICATION (application), argc, argv);
}
