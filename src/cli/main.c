/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-cli.h"

int
main (int    argc,
      char **argv)
{
  return ow_cli_run (argc, argv);
}
