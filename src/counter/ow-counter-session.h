/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What one counter knows about its window: the staff signed in, the ticket in hand, the
 * waiting list, today's figures and the history of the tickets it has seen.  It talks to the
 * hall server through OwClient and never touches a widget, so the window only binds to it. */

#include <json-glib/json-glib.h>

#include "ow-client.h"

G_BEGIN_DECLS

#define OW_TYPE_COUNTER_SESSION (ow_counter_session_get_type ())
G_DECLARE_FINAL_TYPE (OwCounterSession, ow_counter_session, OW, COUNTER_SESSION, GObject)

/* What the counter does with the ticket it holds; the state decides what is allowed. */
typedef enum
{
  OW_COUNTER_CAN_CALL     = 1 << 0,
  OW_COUNTER_CAN_RECALL   = 1 << 1,
  OW_COUNTER_CAN_NO_SHOW  = 1 << 2,
  OW_COUNTER_CAN_START    = 1 << 3,
  OW_COUNTER_CAN_COMPLETE = 1 << 4,
  OW_COUNTER_CAN_RETURN   = 1 << 5,
  OW_COUNTER_CAN_TRANSFER = 1 << 6,
  OW_COUNTER_CAN_PAUSE    = 1 << 7,
  OW_COUNTER_CAN_RESUME   = 1 << 8,
  OW_COUNTER_CAN_REPRINT  = 1 << 9,
} OwCounterAllowed;

/* How a step's time in service stands against its limit (限时办结). */
typedef enum
{
  OW_COUNTER_TIMER_OK,
  OW_COUNTER_TIMER_NEAR,  /* the last fifth of the limit: amber */
  OW_COUNTER_TIMER_OVER,  /* past the limit: red */
} OwCounterTimerLevel;

OwCounterTimerLevel ow_counter_timer_level            (gint64             elapsed_s,
                                                       gint64             limit_s);

OwCounterSession *ow_counter_session_new              (OwClient          *client,
                                                       const char        *window_id);
OwClient         *ow_counter_session_get_client       (OwCounterSession  *self);
const char       *ow_counter_session_get_window_id    (OwCounterSession  *self);
const char       *ow_counter_session_get_staff        (OwCounterSession  *self);
gboolean          ow_counter_session_get_signed_in    (OwCounterSession  *self);
gboolean          ow_counter_session_get_online       (OwCounterSession  *self);
/* TRUE while an action's request is in flight: nothing else is sent meanwhile. */
gboolean          ow_counter_session_get_busy         (OwCounterSession  *self);
OwCounterAllowed  ow_counter_session_get_allowed      (OwCounterSession  *self);

/* Where the counter keeps today's figures and the last event seen (NULL: nowhere). */
void              ow_counter_session_set_state_file   (OwCounterSession  *self,
                                                       const char        *path);

void              ow_counter_session_sign_in          (OwCounterSession  *self,
                                                       const char        *staff,
                                                       const char        *pin);
void              ow_counter_session_sign_out         (OwCounterSession  *self);

/* Sends a window action ("call", "recall", "no-show", "start", "complete", "return",
 * "transfer", "pause", "resume") with @args (NULL or as ow_client_window_act_async ()).
 * Returns FALSE, sending nothing, when offline, signed out or while a request is in flight. */
gboolean          ow_counter_session_act              (OwCounterSession  *self,
                                                       const char        *action,
                                                       JsonObject        *args);

/* Pulls up a ticket from what a scanner or the staff typed: a status URL, a token or a
 * number.  The answer arrives as ::changed with ow_counter_session_get_lookup (). */
void              ow_counter_session_lookup           (OwCounterSession  *self,
                                                       const char        *text);
void              ow_counter_session_clear_lookup     (OwCounterSession  *self);

JsonObject       *ow_counter_session_get_catalog      (OwCounterSession  *self);
JsonObject       *ow_counter_session_get_window       (OwCounterSession  *self);
JsonObject       *ow_counter_session_get_ticket       (OwCounterSession  *self);
JsonArray        *ow_counter_session_get_waiting      (OwCounterSession  *self);
JsonObject       *ow_counter_session_get_lookup       (OwCounterSession  *self);
/* Seconds since the waiting list was read (its "waited_s" were true then). */
gint64            ow_counter_session_get_waiting_age  (OwCounterSession  *self);
/* What happened to the last ticket that left this window ("A005 → 9号收费窗口 缴费"). */
const char       *ow_counter_session_get_outcome      (OwCounterSession  *self);
/* The events this counter has seen for ticket @number today, oldest first. */
GPtrArray        *ow_counter_session_get_history      (OwCounterSession  *self,
                                                       const char        *number);
void              ow_counter_session_get_figures      (OwCounterSession  *self,
                                                       guint             *served,
                                                       guint             *average_s,
                                                       guint             *over_limit);

/* Catalogue look-ups in the current language. */
JsonObject       *ow_counter_session_find_service     (OwCounterSession  *self,
                                                       const char        *code);
const char       *ow_counter_session_document_name    (OwCounterSession  *self,
                                                       const char        *id);
const char       *ow_counter_session_step_name        (OwCounterSession  *self,
                                                       const char        *step);
const char       *ow_counter_session_window_name      (OwCounterSession  *self,
                                                       const char        *window);
/* The names of the windows serving @step, joined with " / ". */
char             *ow_counter_session_windows_for_step (OwCounterSession  *self,
                                                       const char        *step);

G_END_DECLS
