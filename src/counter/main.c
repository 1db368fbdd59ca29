/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-appkit.h"
#include "ow-counter-application.h"

#include <glib/gi18n.h>

int
main (int    argc,
      char **argv)
{
  g_autoptr(OwCounterApplication) app = NULL;

  ow_appkit_init_i18n ();
  g_set_prgname ("onewindow-counter");
  g_set_application_name (_("OneWindow counter"));
  app = ow_counter_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
