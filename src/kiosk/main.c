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
  application = ow_kiosk_application_new ();
  return g_application_run (G_APPLICATION (application), argc, argv);
}
