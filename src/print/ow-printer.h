/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define OW_PRINTER_ERROR (ow_printer_error_quark ())

typedef enum
{
  OW_PRINTER_ERROR_FAILED,          /* CUPS refused the job for another reason */
  OW_PRINTER_ERROR_NO_QUEUE,        /* no such queue, or no queue given and no default */
  OW_PRINTER_ERROR_QUEUE_STOPPED,   /* the queue is stopped or does not accept jobs */
  OW_PRINTER_ERROR_NEEDS_ATTENTION, /* the printer reports an error: paper out, jam, open cover */
  OW_PRINTER_ERROR_JOB_ABORTED,
  OW_PRINTER_ERROR_JOB_CANCELED,
  OW_PRINTER_ERROR_TIMEOUT,         /* the job did not complete in time; it was cancelled */
  OW_PRINTER_ERROR_UNREACHABLE,     /* the CUPS server does not answer */
} OwPrinterError;

#define OW_PRINTER_DEFAULT_TIMEOUT_MS 30000

#define OW_TYPE_PRINTER (ow_printer_get_type ())
G_DECLARE_FINAL_TYPE (OwPrinter, ow_printer, OW, PRINTER, GObject)

GQuark      ow_printer_error_quark      (void);
/* A short stable name for an OW_PRINTER_ERROR code ("no_queue", "queue_stopped", ...). */
const char *ow_printer_error_to_string  (OwPrinterError  code);

/* @queue: a CUPS queue name, or NULL for the CUPS default destination. */
OwPrinter  *ow_printer_new              (const char     *queue);
const char *ow_printer_get_queue        (OwPrinter      *self);
/* NULL (the default) means what libcups would use: $CUPS_SERVER, client.conf, the local
 * scheduler.  Otherwise "host", "host:port" or the path of a domain socket. */
const char *ow_printer_get_server       (OwPrinter      *self);
void        ow_printer_set_server       (OwPrinter      *self,
                                         const char     *server);
guint       ow_printer_get_timeout      (OwPrinter      *self);
void        ow_printer_set_timeout      (OwPrinter      *self,
                                         guint           timeout_ms);
gboolean    ow_printer_get_follow_job   (OwPrinter      *self);
void        ow_printer_set_follow_job   (OwPrinter      *self,
                                         gboolean        follow_job);

/* Sends @pdf to the queue and, when following jobs (the default), waits until the job
 * completes.  Returns the CUPS job ID, or 0 with @error set; @out_queue gets the queue's name
 * (the default destination's when none was given).  A job that cannot complete (a stopped
 * queue, a printer that needs attention, the timeout, @cancellable) is cancelled, so that it
 * does not come out later for nobody.  Blocks: call it from a thread, or use the async
 * variant. */
int         ow_printer_print            (OwPrinter           *self,
                                         GBytes              *pdf,
                                         const char          *title,
                                         char               **out_queue,
                                         GCancellable        *cancellable,
                                         GError             **error);
void        ow_printer_print_async      (OwPrinter           *self,
                                         GBytes              *pdf,
                                         const char          *title,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
int         ow_printer_print_finish     (OwPrinter           *self,
                                         GAsyncResult        *result,
                                         char               **out_queue,
                                         GError             **error);

G_END_DECLS
