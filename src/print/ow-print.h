/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Printed tickets: rendering to PDF and printing through CUPS.  No GTK. */

#include "ow-printer.h"
#include "ow-ticket-print.h"
#include "ow-ticket-render.h"
