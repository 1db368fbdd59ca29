/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ow-audit.h"
#include "ow-clock.h"
#include "ow-db.h"

G_BEGIN_DECLS

#define OW_HALL_ERROR (ow_hall_error_quark ())

typedef enum
{
  OW_HALL_ERROR_FAILED,
  OW_HALL_ERROR_NOT_FOUND,       /* unknown service, window, step, ticket, staff, document */
  OW_HALL_ERROR_INVALID,         /* a malformed argument */
  OW_HALL_ERROR_CLOSED,          /* outside the service's issuing hours */
  OW_HALL_ERROR_CAP_REACHED,     /* the service's daily cap is reached */
  OW_HALL_ERROR_PAUSED,          /* the window is paused */
  OW_HALL_ERROR_WINDOW_BUSY,     /* the window still has a ticket in hand */
  OW_HALL_ERROR_NO_TICKET,       /* the window has no ticket in hand */
  OW_HALL_ERROR_WRONG_STATE,     /* the ticket is not in a state that allows this */
  OW_HALL_ERROR_AUTH,            /* wrong staff ID or PIN */
  OW_HALL_ERROR_LOCKED,          /* too many wrong PINs */
  OW_HALL_ERROR_NOT_ALLOWED,     /* e.g. green channel on a service without it */
  OW_HALL_ERROR_EXISTS,          /* e.g. staff ID taken */
} OwHallError;

typedef enum
{
  OW_WINDOW_CALL,
  OW_WINDOW_RECALL,
  OW_WINDOW_NO_SHOW,
  OW_WINDOW_START,
  OW_WINDOW_COMPLETE,
  OW_WINDOW_RETURN,
  OW_WINDOW_TRANSFER,
  OW_WINDOW_PAUSE,
  OW_WINDOW_RESUME,
} OwWindowAction;

typedef struct
{
  const char         *staff;       /* staff ID acting, or NULL */
  const char         *reason;      /* pause, transfer */
  const char * const *missing;     /* return: document ids; complete: the documents promised (容缺受理) */
  const char         *deadline;    /* complete with missing: the day they are due, or NULL */
  const char         *to_step;     /* transfer */
  const char         *to_window;   /* transfer */
} OwWindowArgs;

#define OW_TYPE_HALL (ow_hall_get_type ())
G_DECLARE_FINAL_TYPE (OwHall, ow_hall, OW, HALL, GObject)

GQuark      ow_hall_error_quark        (void);
OwHall     *ow_hall_new                (OwDb                *db,
                                        OwClock             *clock);
OwDb       *ow_hall_get_db             (OwHall              *self);
OwClock    *ow_hall_get_clock          (OwHall              *self);

gboolean    ow_hall_window_action_from_string (const char   *name,
                                        OwWindowAction      *action);
const char *ow_hall_window_action_to_string   (OwWindowAction action);
const char *ow_hall_state_label        (const char          *state);

/* Each returns a new TICKET object (see docs/ARCHITECTURE.md) or NULL with @error set. */
JsonObject *ow_hall_issue_ticket       (OwHall              *self,
                                        const OwActor       *actor,
                                        const char          *service,
                                        gboolean             green,
                                        const char          *green_category,
                                        GError             **error);
JsonObject *ow_hall_find_ticket        (OwHall              *self,
                                        const char          *number_or_token,
                                        gboolean             with_history,
                                        GError             **error);
JsonObject *ow_hall_reenter_ticket     (OwHall              *self,
                                        const OwActor       *actor,
                                        const char          *number_or_token,
                                        GError             **error);
/* 容缺受理 (DOMAIN.md): completing a step with missing documents records the citizen's
 * promise to bring them by a deadline (default rules.promise_days working days); the TICKET
 * then has "promise": {"documents", "deadline", "overdue"}. */
#define OW_PROMISE_DAYS_DEFAULT 5
#define OW_PROMISE_DAYS_MAX 60
JsonObject *ow_hall_supply_documents   (OwHall              *self,
                                        const OwActor       *actor,
                                        const char          *number_or_token,
                                        const char * const  *documents,
                                        GError             **error);
JsonArray  *ow_hall_list_promises      (OwHall              *self,
                                        GError             **error);
JsonObject *ow_hall_cancel_ticket      (OwHall              *self,
                                        const OwActor       *actor,
                                        const char          *number_or_token,
                                        const char          *reason,
                                        GError             **error);

/* Returns {"window": WINDOW, "ticket": TICKET|null}. */
JsonObject *ow_hall_window_act         (OwHall              *self,
                                        const OwActor       *actor,
                                        const char          *window,
                                        OwWindowAction       action,
                                        const OwWindowArgs  *args,
                                        GError             **error);
JsonObject *ow_hall_get_window         (OwHall              *self,
                                        const char          *window,
                                        GError             **error);
JsonObject *ow_hall_window_ticket      (OwHall              *self,
                                        const char          *window,
                                        GError             **error);
JsonArray  *ow_hall_list_windows       (OwHall              *self,
                                        GError             **error);
JsonArray  *ow_hall_list_queues        (OwHall              *self,
                                        GError             **error);
JsonArray  *ow_hall_list_waiting       (OwHall              *self,
                                        const char          *window,
                                        GError             **error);

/* Ends every open ticket of an earlier day as expired.  Issuing and calling do this too. */
gboolean    ow_hall_expire_old_tickets (OwHall              *self,
                                        GError             **error);

/* Staff.  PINs are 4 to 8 digits, stored only as argon2id hashes. */
gboolean    ow_hall_add_staff          (OwHall              *self,
                                        const OwActor       *actor,
                                        const char          *id,
                                        const char          *name,
                                        const char          *role,
                                        const char          *pin,
                                        GError             **error);
JsonArray  *ow_hall_list_staff         (OwHall              *self,
                                        GError             **error);
/* Checks a PIN; five wrong in a row lock the account for 15 minutes.  Returns the role.  An
 * ID that does not exist is refused alike, after as long. */
char       *ow_hall_check_pin          (OwHall              *self,
                                        const OwActor       *actor,
                                        const char          *id,
                                        const char          *pin,
                                        GError             **error);
/* Makes now what ow_hall_check_pin () needs for unknown IDs, which would make the first such
 * check slower than the rest: a server calls it at start, off its main thread. */
void        ow_hall_prepare_pin_checks (void);

/* Appends an event in its own transaction (for changes outside the engine's own). */
gboolean    ow_hall_log                (OwHall              *self,
                                        const OwActor       *actor,
                                        const char          *window,
                                        const char          *action,
                                        JsonObject          *details,
                                        GError             **error);

G_END_DECLS
