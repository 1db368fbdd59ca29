/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ow-audit.h"
#include "ow-auth.h"
#include "ow-catalog.h"
#include "ow-clock.h"
#include "ow-checkpointer.h"
#include "ow-db.h"
#include "ow-feed.h"
#include "ow-followup.h"
#include "ow-hall.h"
#include "ow-i18n.h"
#include "ow-public.h"
#include "ow-sha256.h"
#include "ow-sim.h"
#include "ow-stats.h"
