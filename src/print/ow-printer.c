/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-printer.h"

#include <cups/cups.h>
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <string.h>

/* Printing a PDF through CUPS and following the job to its end (docs/PRINTING.md).
 *
 * Everything that talks to CUPS runs in one function, print_job_run(), on one connection of
 * its own, so that it can run in a worker thread: libcups keeps its defaults (server, last
 * error) per thread, and the server is read in the caller's thread before the work starts. */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (http_t, httpClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ipp_t, ippDelete)

#define POLL_FIRST_US  2000
#define POLL_MAX_US    100000
#define POLL_SLICE_US  10000

struct _OwPrinter
{
  GObject   parent_instance;

  char     *queue;
  char     *server;
  guint     timeout_ms;
  gboolean  follow_job;
};

G_DEFINE_FINAL_TYPE (OwPrinter, ow_printer, G_TYPE_OBJECT)

G_DEFINE_QUARK (ow-printer-error-quark, ow_printer_error)

enum
{
  PROP_0,
  PROP_QUEUE,
  PROP_SERVER,
  PROP_TIMEOUT,
  PROP_FOLLOW_JOB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* g_set_str() arrived in GLib 2.76; the project requires 2.74. */
static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* What one print needs, copied from the printer and the caller's thread. */
typedef struct
{
  char              *queue;       /* NULL: the default destination */
  char              *host;        /* a host name or a domain socket's path */
  int                port;
  http_encryption_t  encryption;
  char              *title;
  GBytes            *pdf;
  guint              timeout_ms;
  gboolean           follow_job;
} PrintJob;

typedef struct
{
  int   id;
  char *queue;
} PrintResult;

typedef struct
{
  ipp_pstate_t  state;
  gboolean      accepting;
  char         *message;
  GPtrArray    *reasons;
} PrinterState;

static void
print_job_free (PrintJob *job)
{
  g_free (job->queue);
  g_free (job->host);
  g_free (job->title);
  g_bytes_unref (job->pdf);
  g_free (job);
}

static void
print_result_free (PrintResult *result)
{
  g_free (result->queue);
  g_free (result);
}

static void
printer_state_clear (PrinterState *state)
{
  g_clear_pointer (&state->message, g_free);
  g_clear_pointer (&state->reasons, g_ptr_array_unref);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PrintJob, print_job_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PrinterState, printer_state_clear)

const char *
ow_printer_error_to_string (OwPrinterError code)
{
  switch (code)
    {
    case OW_PRINTER_ERROR_NO_QUEUE:
      return "no_queue";
    case OW_PRINTER_ERROR_QUEUE_STOPPED:
      return "queue_stopped";
    case OW_PRINTER_ERROR_NEEDS_ATTENTION:
      return "needs_attention";
    case OW_PRINTER_ERROR_JOB_ABORTED:
      return "job_aborted";
    case OW_PRINTER_ERROR_JOB_CANCELED:
      return "job_canceled";
    case OW_PRINTER_ERROR_TIMEOUT:
      return "timeout";
    case OW_PRINTER_ERROR_UNREACHABLE:
      return "unreachable";
    case OW_PRINTER_ERROR_FAILED:
    default:
      return "print_failed";
    }
}

/* printer-state-reasons, in words.  Keywords come with a severity suffix (-error, -warning,
 * -report) or none, which IPP counts as an error. */
static const struct
{
  const char *keyword;
  const char *text;
} reason_texts[] = {
  { "media-empty", N_("paper out") },
  { "media-needed", N_("paper out") },
  { "media-jam", N_("paper jam") },
  { "cover-open", N_("cover open") },
  { "door-open", N_("cover open") },
  { "offline", N_("printer offline") },
  { "paused", N_("queue paused") },
};

static char *
reason_keyword (const char *reason)
{
  static const char * const suffixes[] = { "-error", "-warning", "-report" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (reason, suffixes[i]))
      return g_strndup (reason, strlen (reason) - strlen (suffixes[i]));
  return g_strdup (reason);
}

static const char *
reason_text (const char *keyword)
{
  for (guint i = 0; i < G_N_ELEMENTS (reason_texts); i++)
    if (g_str_equal (reason_texts[i].keyword, keyword))
      return _(reason_texts[i].text);
  return NULL;
}

/* A reason that keeps the ticket from coming out: anything marked -error, and the known
 * conditions above without a suffix.  "offline-report" is what CUPS's backends say when the
 * printer has gone away; they retry for a long time, longer than a citizen waits. */
static gboolean
reason_is_fatal (const char *reason)
{
  g_autofree char *keyword = NULL;

  if (g_str_has_suffix (reason, "-error") || g_str_equal (reason, "offline-report"))
    return TRUE;
  if (g_str_has_suffix (reason, "-warning") || g_str_has_suffix (reason, "-report"))
    return FALSE;
  keyword = reason_keyword (reason);
  return !g_str_equal (keyword, "paused") && reason_text (keyword) != NULL;
}

static gboolean
has_fatal_reason (const PrinterState *state)
{
  for (guint i = 0; state->reasons != NULL && i < state->reasons->len; i++)
    if (reason_is_fatal (g_ptr_array_index (state->reasons, i)))
      return TRUE;
  return FALSE;
}

/* "paper out; Out of paper (from the backend)": the reasons in words, then the printer's own
 * message. */
static char *
describe_state (const char *message,
                GPtrArray  *reasons)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; reasons != NULL && i < reasons->len; i++)
    {
      const char *reason = g_ptr_array_index (reasons, i);
      g_autofree char *keyword = reason_keyword (reason);
      const char *text = reason_text (keyword);
      char *part;

      if (text != NULL && (reason_is_fatal (reason) || g_str_equal (keyword, "paused")))
        part = g_strdup (text);
      else if (reason_is_fatal (reason))
        part = g_strdup (reason);
      else
        continue;
      if (!g_ptr_array_find_with_equal_func (parts, part, g_str_equal, NULL))
        g_ptr_array_add (parts, part);
      else
        g_free (part);
    }
  if (message != NULL && *message != '\0' &&
      !g_ptr_array_find_with_equal_func (parts, message, g_str_equal, NULL))
    g_ptr_array_add (parts, g_strdup (message));
  if (parts->len == 0)
    return g_strdup (_("no reason given"));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv ("; ", (char **) parts->pdata);
}

/* A job's end in words: the printer's last message during the job, else its reasons. */
static char *
describe_job (const char *message,
              GPtrArray  *reasons)
{
  if (message != NULL && *message != '\0')
    return g_strdup (message);
  if (reasons != NULL && reasons->len > 0)
    {
      /* Keywords that only say where the job was in its life tell the reader nothing. */
      static const char * const ignored[] = {
        "processing-to-stop-point", "job-printing", "job-queued", "job-incoming", "job-fetchable",
      };
      GString *text = g_string_new (NULL);

      for (guint i = 0; i < reasons->len; i++)
        {
          const char *reason = g_ptr_array_index (reasons, i);

          if (!g_strv_contains (ignored, reason))
            g_string_append_printf (text, "%s%s", text->len > 0 ? ", " : "", reason);
        }
      if (text->len > 0)
        return g_string_free (text, FALSE);
      g_string_free (text, TRUE);
    }
  return g_strdup (_("no reason given"));
}

static GPtrArray *
keywords_of (ipp_t      *response,
             const char *name)
{
  ipp_attribute_t *attr = ippFindAttribute (response, name, IPP_TAG_KEYWORD);
  GPtrArray *keywords = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; attr != NULL && i < ippGetCount (attr); i++)
    if (g_strcmp0 (ippGetString (attr, i, NULL), "none") != 0)
      g_ptr_array_add (keywords, g_strdup (ippGetString (attr, i, NULL)));
  return keywords;
}

static char *
text_of (ipp_t      *response,
         const char *name)
{
  ipp_attribute_t *attr = ippFindAttribute (response, name, IPP_TAG_TEXT);

  return attr != NULL ? g_strdup (ippGetString (attr, 0, NULL)) : NULL;
}

static void
set_request_error (PrintJob    *job,
                   const char  *queue,
                   GError     **error)
{
  ipp_status_t status = cupsLastError ();
  const char *message = cupsLastErrorString ();

  if (status == IPP_STATUS_ERROR_NOT_FOUND)
    g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_NO_QUEUE,
                 _("printer queue '%s' does not exist"), queue);
  else if (status == IPP_STATUS_ERROR_NOT_ACCEPTING_JOBS)
    g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_QUEUE_STOPPED,
                 _("printer queue '%s' is not accepting jobs: %s"), queue, message);
  else if (status == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE || status == IPP_STATUS_ERROR_INTERNAL)
    g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_UNREACHABLE,
                 _("cannot reach the print service at %s: %s"), job->host, message);
  else
    g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_FAILED,
                 _("printer queue '%s' refused the job: %s"), queue, message);
}

static void
printer_uri (PrintJob   *job,
             const char *queue,
             char       *uri,
             gsize       size)
{
  httpAssembleURIf (HTTP_URI_CODING_ALL, uri, (int) size, "ipp", NULL, "localhost",
                    job->host[0] == '/' ? 631 : job->port, "/printers/%s", queue);
}

static gboolean
get_printer_state (PrintJob      *job,
                   http_t        *http,
                   const char    *queue,
                   PrinterState  *state,
                   GError       **error)
{
  static const char * const wanted[] = {
    "printer-state", "printer-state-message", "printer-state-reasons", "printer-is-accepting-jobs",
  };
  g_autoptr(ipp_t) response = NULL;
  ipp_t *request = ippNewRequest (IPP_OP_GET_PRINTER_ATTRIBUTES);
  char uri[HTTP_MAX_URI];

  printer_uri (job, queue, uri, sizeof uri);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser ());
  ippAddStrings (request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                 G_N_ELEMENTS (wanted), NULL, wanted);
  response = cupsDoRequest (http, request, "/");
  if (response == NULL || cupsLastError () > IPP_STATUS_OK_CONFLICTING)
    {
      set_request_error (job, queue, error);
      return FALSE;
    }
  state->state = (ipp_pstate_t) ippGetInteger (ippFindAttribute (response, "printer-state", IPP_TAG_ENUM), 0);
  state->accepting = ippGetBoolean (ippFindAttribute (response, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN), 0);
  state->message = text_of (response, "printer-state-message");
  state->reasons = keywords_of (response, "printer-state-reasons");
  return TRUE;
}

/* Refuses to print on a queue that cannot print now, rather than leave a job to come out
 * later, after the citizen has gone. */
static gboolean
check_printer_state (const PrinterState  *state,
                     const char          *queue,
                     GError             **error)
{
  g_autofree char *why = NULL;

  if (state->state == IPP_PSTATE_STOPPED)
    {
      why = describe_state (state->message, state->reasons);
      g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_QUEUE_STOPPED,
                   _("printer queue '%s' is stopped: %s"), queue, why);
      return FALSE;
    }
  if (!state->accepting)
    {
      why = describe_state (state->message, state->reasons);
      g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_QUEUE_STOPPED,
                   _("printer queue '%s' is not accepting jobs: %s"), queue, why);
      return FALSE;
    }
  if (has_fatal_reason (state))
    {
      why = describe_state (state->message, state->reasons);
      g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_NEEDS_ATTENTION,
                   _("printer queue '%s' needs attention: %s"), queue, why);
      return FALSE;
    }
  return TRUE;
}

static void
cancel_job (http_t     *http,
            const char *queue,
            int         id)
{
  /* Best effort: the error the caller sees is the reason for cancelling, not this. */
  cupsCancelJob2 (http, queue, id, 0);
}

/* Polls the job until it ends, the printer cannot print it, or time runs out. */
static gboolean
follow_job (PrintJob      *job,
            http_t        *http,
            const char    *queue,
            int            id,
            GCancellable  *cancellable,
            GError       **error)
{
  static const char * const wanted[] = {
    "job-state", "job-state-reasons", "job-printer-state-message",
  };
  gint64 deadline = g_get_monotonic_time () + (gint64) job->timeout_ms * 1000;
  gulong interval = POLL_FIRST_US;
  char uri[HTTP_MAX_URI];

  printer_uri (job, queue, uri, sizeof uri);
  for (;;)
    {
      g_autoptr(ipp_t) response = NULL;
      g_auto(PrinterState) printer = { 0 };
      g_autoptr(GPtrArray) reasons = NULL;
      g_autofree char *message = NULL;
      g_autofree char *why = NULL;
      ipp_t *request = ippNewRequest (IPP_OP_GET_JOB_ATTRIBUTES);
      ipp_jstate_t state;
      gint64 now;

      ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
      ippAddInteger (request, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", id);
      ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser ());
      ippAddStrings (request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                     G_N_ELEMENTS (wanted), NULL, wanted);
      response = cupsDoRequest (http, request, "/");
      if (response == NULL || cupsLastError () > IPP_STATUS_OK_CONFLICTING)
        {
          set_request_error (job, queue, error);
          return FALSE;
        }
      state = (ipp_jstate_t) ippGetInteger (ippFindAttribute (response, "job-state", IPP_TAG_ENUM), 0);
      reasons = keywords_of (response, "job-state-reasons");
      message = text_of (response, "job-printer-state-message");

      switch (state)
        {
        case IPP_JSTATE_COMPLETED:
          return TRUE;

        case IPP_JSTATE_CANCELED:
          why = describe_job (message, reasons);
          g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_JOB_CANCELED,
                       _("job %d on printer queue '%s' was cancelled: %s"), id, queue, why);
          return FALSE;

        case IPP_JSTATE_ABORTED:
          why = describe_job (message, reasons);
          g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_JOB_ABORTED,
                       _("job %d on printer queue '%s' was aborted: %s"), id, queue, why);
          return FALSE;

        case IPP_JSTATE_HELD:
          why = describe_job (message, reasons);
          cancel_job (http, queue, id);
          g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_FAILED,
                       _("job %d on printer queue '%s' is held: %s"), id, queue, why);
          return FALSE;

        /* A filter or backend failed: CUPS keeps the job for an administrator to restart. */
        case IPP_JSTATE_STOPPED:
          why = describe_job (message, reasons);
          cancel_job (http, queue, id);
          g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_JOB_ABORTED,
                       _("job %d on printer queue '%s' stopped: %s"), id, queue, why);
          return FALSE;

        case IPP_JSTATE_PENDING:
        case IPP_JSTATE_PROCESSING:
        default:
          break;
        }

      if (!get_printer_state (job, http, queue, &printer, error))
        return FALSE;
      /* A queue stopped or a printer in trouble after the job was accepted: the job would
       * come out later, for nobody. */
      if (printer.state == IPP_PSTATE_STOPPED || has_fatal_reason (&printer))
        {
          printer.accepting = TRUE;
          if (!check_printer_state (&printer, queue, error))
            {
              cancel_job (http, queue, id);
              return FALSE;
            }
        }

      now = g_get_monotonic_time ();
      if (now >= deadline)
        {
          cancel_job (http, queue, id);
          g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_TIMEOUT,
                       state == IPP_JSTATE_PENDING
                         ? _("job %d on printer queue '%s' was still waiting after %.1f s; it was cancelled")
                         : _("job %d on printer queue '%s' was still printing after %.1f s; it was cancelled"),
                       id, queue, job->timeout_ms / 1000.0);
          return FALSE;
        }
      /* Sleep in short slices so that cancelling is quick. */
      for (gint64 until = MIN (deadline, now + (gint64) interval); g_get_monotonic_time () < until; )
        {
          if (g_cancellable_is_cancelled (cancellable))
            break;
          g_usleep (MIN (POLL_SLICE_US, until - g_get_monotonic_time () + 1));
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          cancel_job (http, queue, id);
          return FALSE;
        }
      interval = MIN (interval * 2, POLL_MAX_US);
    }
}

/* One IPP Print-Job request with the document in its body: a single round trip, where
 * cupsCreateJob() + cupsStartDocument() take three (bench/bench-print.c: 0.6 ms against 5 to
 * 10 ms on a local scheduler).  Returns the job's ID, or 0 with @error set. */
static int
submit (PrintJob    *job,
        http_t      *http,
        const char  *queue,
        const char  *data,
        gsize        size,
        GError     **error)
{
  g_autoptr(ipp_t) response = NULL;
  g_autofree char *resource = g_strdup_printf ("/printers/%s", queue);
  ipp_t *request = ippNewRequest (IPP_OP_PRINT_JOB);
  ipp_attribute_t *attr;
  char uri[HTTP_MAX_URI];
  http_status_t status;

  printer_uri (job, queue, uri, sizeof uri);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser ());
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, job->title);
  ippAddString (request, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL, CUPS_FORMAT_PDF);

  /* The length is the whole body: the IPP message, then the document. */
  status = cupsSendRequest (http, request, resource, ippLength (request) + size);
  if (status == HTTP_STATUS_CONTINUE)
    status = cupsWriteRequestData (http, data, size);
  /* The response is read whatever happened: it carries the reason for a refusal. */
  response = cupsGetResponse (http, resource);
  ippDelete (request);
  if (response == NULL || cupsLastError () > IPP_STATUS_OK_CONFLICTING)
    {
      set_request_error (job, queue, error);
      return 0;
    }
  attr = ippFindAttribute (response, "job-id", IPP_TAG_INTEGER);
  if (attr == NULL || ippGetInteger (attr, 0) <= 0)
    {
      g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_FAILED,
                   _("printer queue '%s' refused the job: %s"), queue, cupsLastErrorString ());
      return 0;
    }
  return ippGetInteger (attr, 0);
}

static PrintResult *
print_job_run (PrintJob      *job,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(http_t) http = NULL;
  g_autofree char *queue = NULL;
  g_auto(PrinterState) printer = { 0 };
  gsize size;
  const char *data = g_bytes_get_data (job->pdf, &size);
  PrintResult *result;
  int id;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  http = httpConnect2 (job->host, job->port, NULL, AF_UNSPEC, job->encryption, 1, 5000, NULL);
  if (http == NULL)
    {
      /* libcups reports every failure to connect as "Host is down": say what is known. */
      g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_UNREACHABLE,
                   _("cannot reach the print service at %s: %s"), job->host,
                   job->host[0] == '/' && !g_file_test (job->host, G_FILE_TEST_EXISTS)
                     ? g_strerror (ENOENT) : _("the CUPS scheduler does not answer"));
      return NULL;
    }
  httpSetTimeout (http, MAX (1.0, job->timeout_ms / 1000.0), NULL, NULL);

  if (job->queue != NULL)
    queue = g_strdup (job->queue);
  else
    {
      cups_dest_t *dest = cupsGetNamedDest (http, NULL, NULL);

      if (dest == NULL)
        {
          if (cupsLastError () == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE)
            g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_UNREACHABLE,
                         _("cannot reach the print service at %s: %s"), job->host, cupsLastErrorString ());
          else
            g_set_error (error, OW_PRINTER_ERROR, OW_PRINTER_ERROR_NO_QUEUE,
                         _("no printer queue given and CUPS has no default destination"));
          return NULL;
        }
      queue = g_strdup (dest->name);
      cupsFreeDests (1, dest);
    }

  if (!get_printer_state (job, http, queue, &printer, error) ||
      !check_printer_state (&printer, queue, error))
    return NULL;

  id = submit (job, http, queue, data, size, error);
  if (id == 0)
    return NULL;

  if (job->follow_job && !follow_job (job, http, queue, id, cancellable, error))
    return NULL;

  result = g_new0 (PrintResult, 1);
  result->id = id;
  result->queue = g_steal_pointer (&queue);
  return result;
}

static void
ow_printer_finalize (GObject *object)
{
  OwPrinter *self = (OwPrinter *) object;

  g_clear_pointer (&self->queue, g_free);
  g_clear_pointer (&self->server, g_free);

  G_OBJECT_CLASS (ow_printer_parent_class)->finalize (object);
}

static void
ow_printer_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  OwPrinter *self = OW_PRINTER (object);

  switch (prop_id)
    {
    case PROP_QUEUE:
      g_value_set_string (value, self->queue);
      break;

    case PROP_SERVER:
      g_value_set_string (value, self->server);
      break;

    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout_ms);
      break;

    case PROP_FOLLOW_JOB:
      g_value_set_boolean (value, self->follow_job);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_printer_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  OwPrinter *self = OW_PRINTER (object);

  switch (prop_id)
    {
    case PROP_QUEUE:
      self->queue = g_value_dup_string (value);
      break;

    case PROP_SERVER:
      ow_printer_set_server (self, g_value_get_string (value));
      break;

    case PROP_TIMEOUT:
      ow_printer_set_timeout (self, g_value_get_uint (value));
      break;

    case PROP_FOLLOW_JOB:
      ow_printer_set_follow_job (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_printer_class_init (OwPrinterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ow_printer_finalize;
  object_class->get_property = ow_printer_get_property;
  object_class->set_property = ow_printer_set_property;

  properties[PROP_QUEUE] =
    g_param_spec_string ("queue", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER] =
    g_param_spec_string ("server", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* How long to wait for a job to complete, in milliseconds. */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 100, G_MAXUINT, OW_PRINTER_DEFAULT_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* FALSE: return as soon as CUPS has accepted the job. */
  properties[PROP_FOLLOW_JOB] =
    g_param_spec_boolean ("follow-job", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_printer_init (OwPrinter *self)
{
  self->timeout_ms = OW_PRINTER_DEFAULT_TIMEOUT_MS;
  self->follow_job = TRUE;
}

OwPrinter *
ow_printer_new (const char *queue)
{
  return g_object_new (OW_TYPE_PRINTER, "queue", queue, NULL);
}

const char *
ow_printer_get_queue (OwPrinter *self)
{
  g_return_val_if_fail (OW_IS_PRINTER (self), NULL);

  return self->queue;
}

const char *
ow_printer_get_server (OwPrinter *self)
{
  g_return_val_if_fail (OW_IS_PRINTER (self), NULL);

  return self->server;
}

void
ow_printer_set_server (OwPrinter  *self,
                       const char *server)
{
  g_return_if_fail (OW_IS_PRINTER (self));

  if (replace_string (&self->server, server))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER]);
}

guint
ow_printer_get_timeout (OwPrinter *self)
{
  g_return_val_if_fail (OW_IS_PRINTER (self), 0);

  return self->timeout_ms;
}

void
ow_printer_set_timeout (OwPrinter *self,
                        guint      timeout_ms)
{
  g_return_if_fail (OW_IS_PRINTER (self));

  timeout_ms = MAX (timeout_ms, 100);
  if (self->timeout_ms == timeout_ms)
    return;
  self->timeout_ms = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

gboolean
ow_printer_get_follow_job (OwPrinter *self)
{
  g_return_val_if_fail (OW_IS_PRINTER (self), FALSE);

  return self->follow_job;
}

void
ow_printer_set_follow_job (OwPrinter *self,
                           gboolean   follow_job)
{
  g_return_if_fail (OW_IS_PRINTER (self));

  follow_job = !!follow_job;
  if (self->follow_job == follow_job)
    return;
  self->follow_job = follow_job;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOW_JOB]);
}

/* Runs in the caller's thread: that is where libcups has its defaults ($CUPS_SERVER,
 * cupsSetServer()). */
static PrintJob *
print_job_new (OwPrinter  *self,
               GBytes     *pdf,
               const char *title)
{
  PrintJob *job = g_new0 (PrintJob, 1);

  job->queue = g_strdup (self->queue);
  job->title = g_strdup (title != NULL ? title : "OneWindow");
  job->pdf = g_bytes_ref (pdf);
  job->timeout_ms = self->timeout_ms;
  job->follow_job = self->follow_job;
  job->encryption = cupsEncryption ();
  job->port = ippPort ();
  if (self->server == NULL)
    job->host = g_strdup (cupsServer ());
  else
    {
      const char *colon = strrchr (self->server, ':');
      guint64 port;

      job->host = g_strdup (self->server);
      if (self->server[0] != '/' && colon != NULL && strchr (colon, ']') == NULL &&
          g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
        {
          job->host[colon - self->server] = '\0';
          job->port = (int) port;
        }
    }
  return job;
}

int
ow_printer_print (OwPrinter     *self,
                  GBytes        *pdf,
                  const char    *title,
                  char         **out_queue,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(PrintJob) job = NULL;
  PrintResult *result;
  int id;

  g_return_val_if_fail (OW_IS_PRINTER (self), 0);
  g_return_val_if_fail (pdf != NULL, 0);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  job = print_job_new (self, pdf, title);
  result = print_job_run (job, cancellable, error);
  if (result == NULL)
    return 0;
  id = result->id;
  if (out_queue != NULL)
    *out_queue = g_steal_pointer (&result->queue);
  print_result_free (result);
  return id;
}

static void
print_thread_cb (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;
  PrintResult *result = print_job_run (task_data, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) print_result_free);
}

void
ow_printer_print_async (OwPrinter           *self,
                        GBytes              *pdf,
                        const char          *title,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OW_IS_PRINTER (self));
  g_return_if_fail (pdf != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ow_printer_print_async);
  g_task_set_task_data (task, print_job_new (self, pdf, title), (GDestroyNotify) print_job_free);
  /* The worker follows cancellation itself, so that it can cancel the CUPS job first. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, print_thread_cb);
}

int
ow_printer_print_finish (OwPrinter     *self,
                         GAsyncResult  *result,
                         char         **out_queue,
                         GError       **error)
{
  PrintResult *printed;
  int id;

  g_return_val_if_fail (OW_IS_PRINTER (self), 0);
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ow_printer_print_async, 0);

  printed = g_task_propagate_pointer (G_TASK (result), error);
  if (printed == NULL)
    return 0;
  id = printed->id;
  if (out_queue != NULL)
    *out_queue = g_steal_pointer (&printed->queue);
  print_result_free (printed);
  return id;
}
