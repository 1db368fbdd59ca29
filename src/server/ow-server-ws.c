/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ow-server-private.h"

#include <string.h>

/* The server's end of a WebSocket (RFC 6455) after the HTTP upgrade, for the event stream.
 *
 * libsoup's SoupWebsocketConnection writes every message with a system call of its own, so a
 * board shown the twenty events of one group commit cost twenty sends, and formatting two
 * debug messages each.  Here messages are queued and ow_web_socket_flush () writes them
 * together: one send per board and commit.  The stream runs one way: the client's data
 * messages are read and dropped, its pings answered, its close echoed; the server pings it
 * every keep-alive interval.  No extension is negotiated, so frames are plain.
 *
 * A client that has answered a ping and then misses three keep-alive intervals without a
 * pong has stopped (a board whose program hangs while its TCP stays up) and is let go.  Not
 * done: one that never answered pings and stops reading is only let go once 8 MiB are queued
 * for it (hours of a busy hall's events).  Stopping the server closes the streams without
 * waiting for the close frames to leave a full socket. */

#define READ_CHUNK 4096
#define CLOSE_DEADLINE_S 5             /* from a close queued to the connection ended */
#define QUEUED_MAX (8 * 1024 * 1024)
#define COMPACT_MIN (64 * 1024)        /* sent bytes kept at the queue's head before moving */
#define SHRINK_MIN (1024 * 1024)       /* a drained queue that grew so far gives its memory back */
#define CONTROL_MAX 125
#define SILENT_PINGS 3                 /* keep-alive intervals without a pong before letting go */
#define OPCODE_CONTINUATION 0x0
#define OPCODE_TEXT 0x1
#define OPCODE_BINARY 0x2
#define OPCODE_CLOSE 0x8
#define OPCODE_PING 0x9
#define OPCODE_PONG 0xa

struct _OwWebSocket
{
  GIOStream             *stream;
  GPollableInputStream  *input;
  GPollableOutputStream *output;
  GMainContext          *context;
  GByteArray            *incoming;
  GByteArray            *outgoing;
  gsize                  sent;         /* bytes of outgoing already written */
  gsize                  max_payload;
  guint                  keepalive_s;
  gint64                 last_pong;    /* monotonic µs of the client's last pong; 0: none yet */
  GSource               *read_source;
  GSource               *write_source;
  GSource               *ping_source;
  GSource               *deadline_source;
  GSource               *closed_source;
  OwWebSocketFunc        closed_func;
  OwWebSocketFunc        drained_func;
  gpointer               data;
  gboolean               close_sent;   /* nothing but the close frame goes out any more */
  gboolean               shut;         /* the close frame is out, and the writing side shut */
  gboolean               in_message;   /* the client is sending a fragmented message */
  gboolean               ended;        /* the stream is closed */
};

static void write_some (OwWebSocket *ws);
static void end        (OwWebSocket *ws);

static gboolean
deadline_cb (gpointer data)
{
  OwWebSocket *ws = data;

  g_clear_pointer (&ws->deadline_source, g_source_unref);
  end (ws);
  return G_SOURCE_REMOVE;
}

/* The close frame is out.  Closing the socket now, with the client's last bytes unread,
 * would reset the connection, and the client could lose the close frame with it.  So the
 * server only shuts its side and reads until the client closes too, within the deadline
 * set when the close was queued. */
static void
shut_writing (OwWebSocket *ws)
{
  GSocket *socket = g_object_get_data (G_OBJECT (ws->stream), "GSocket");

  if (ws->shut)
    return;
  ws->shut = TRUE;
  if (socket == NULL || ws->read_source == NULL || !g_socket_shutdown (socket, FALSE, TRUE, NULL))
    end (ws);
}

static gboolean
closed_cb (gpointer data)
{
  OwWebSocket *ws = data;

  g_clear_pointer (&ws->closed_source, g_source_unref);
  /* Last: the owner may free @ws here. */
  if (ws->closed_func != NULL)
    ws->closed_func (ws, ws->data);
  return G_SOURCE_REMOVE;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Closes the stream, and tells the owner from the main loop, never from inside one of its
 * own calls (a flush in the middle of a broadcast). */
static void
end (OwWebSocket *ws)
{
  if (ws->ended)
    return;
  ws->ended = TRUE;
  clear_source (&ws->read_source);
  clear_source (&ws->write_source);
  clear_source (&ws->ping_source);
  clear_source (&ws->deadline_source);
  g_byte_array_set_size (ws->outgoing, 0);
  ws->sent = 0;
  g_io_stream_close_async (ws->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (ws->closed_func == NULL)
    return;
  ws->closed_source = g_idle_source_new ();
  g_source_set_callback (ws->closed_source, closed_cb, ws, NULL);
  g_source_attach (ws->closed_source, ws->context);
}

static void
queue_frame (OwWebSocket *ws,
             guint8       opcode,
             const void  *payload,
             gsize        length)
{
  guint8 header[10];
  guint n = 0;

  header[n++] = 0x80 | opcode;   /* FIN: never fragmented */
  if (length < 126)
    header[n++] = (guint8) length;
  else if (length <= G_MAXUINT16)
    {
      header[n++] = 126;
      header[n++] = (guint8) (length >> 8);
      header[n++] = (guint8) length;
    }
  else
    {
      header[n++] = 127;
      for (int shift = 56; shift >= 0; shift -= 8)
        header[n++] = (guint8) ((guint64) length >> shift);
    }
  g_byte_array_append (ws->outgoing, header, n);
  if (length > 0)
    g_byte_array_append (ws->outgoing, payload, (guint) length);
  /* A client that stopped reading (or floods pings without reading the pongs) is let go
   * before it costs the server its memory; a board reconnects and resumes from its last
   * event. */
  if (ws->outgoing->len - ws->sent > QUEUED_MAX)
    end (ws);
}

/* Sends a close frame; what the client sends after it is read and dropped. */
void
ow_web_socket_close (OwWebSocket *ws,
                     guint16      code,
                     const char  *reason)
{
  guint8 payload[CONTROL_MAX];
  gsize length = 0;

  if (ws->ended || ws->close_sent)
    return;
  if (code != 0)
    {
      gsize reason_length = reason != NULL ? MIN (strlen (reason), CONTROL_MAX - 2) : 0;

      payload[0] = (guint8) (code >> 8);
      payload[1] = (guint8) code;
      if (reason_length > 0)
        memcpy (payload + 2, reason, reason_length);
      length = 2 + reason_length;
    }
  queue_frame (ws, OPCODE_CLOSE, payload, length);
  ws->close_sent = TRUE;
  clear_source (&ws->ping_source);
  /* From now on, not from when the frame is out: a client that has stopped reading would
   * otherwise hold the connection for as long as its TCP stays up. */
  if (!ws->ended)
    {
      ws->deadline_source = g_timeout_source_new_seconds (CLOSE_DEADLINE_S);
      g_source_set_callback (ws->deadline_source, deadline_cb, ws, NULL);
      g_source_attach (ws->deadline_source, ws->context);
    }
  ow_web_socket_flush (ws);
}

static gboolean
writable_cb (GObject  *stream,
             gpointer  data)
{
  OwWebSocket *ws = data;

  g_clear_pointer (&ws->write_source, g_source_unref);
  write_some (ws);
  return G_SOURCE_REMOVE;
}

/* Writes what is queued without blocking; waits for the socket when it is full. */
static void
write_some (OwWebSocket *ws)
{
  g_assert (ws->write_source == NULL);

  while (ws->sent < ws->outgoing->len)
    {
      g_autoptr(GError) error = NULL;
      gssize written;

      written = g_pollable_output_stream_write_nonblocking (ws->output, ws->outgoing->data + ws->sent,
                                                            ws->outgoing->len - ws->sent, NULL, &error);
      if (written == 0 || (written < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
        {
          /* What was sent leaves the head of the queue only now and then: moving the rest
           * after every partial write copied a long queue again and again. */
          if (ws->sent >= COMPACT_MIN && ws->sent >= ws->outgoing->len / 2)
            {
              g_byte_array_remove_range (ws->outgoing, 0, (guint) ws->sent);
              ws->sent = 0;
            }
          ws->write_source = g_pollable_output_stream_create_source (ws->output, NULL);
          g_source_set_callback (ws->write_source, G_SOURCE_FUNC (writable_cb), ws, NULL);
          g_source_attach (ws->write_source, ws->context);
          return;
        }
      if (written < 0)
        {
          end (ws);
          return;
        }
      ws->sent += (gsize) written;
    }

  /* GByteArray keeps its largest size: a queue a slow client once filled lets it go. */
  if (ws->outgoing->len >= SHRINK_MIN)
    {
      g_byte_array_unref (ws->outgoing);
      ws->outgoing = g_byte_array_new ();
    }
  else
    g_byte_array_set_size (ws->outgoing, 0);
  ws->sent = 0;

  if (ws->close_sent)
    shut_writing (ws);
  else if (ws->drained_func != NULL)
    ws->drained_func (ws, ws->data);
}

/* Close codes a client may send (RFC 6455, 7.4): 1004-1006 and 1015 are reserved, 1016-2999
 * are for future protocol use, and 3000-4999 are for applications. */
static gboolean
valid_close_code (guint code)
{
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/* Handles the complete frames in the incoming buffer, until a close.  Pongs are queued and
 * flushed by the caller, once for all the pings read together. */
static void
read_frames (OwWebSocket *ws)
{
  gsize done = 0;

  while (!ws->close_sent && !ws->ended)
    {
      guint8 *data = ws->incoming->data + done;
      gsize available = ws->incoming->len - done;
      guint8 opcode, mask[4];
      gboolean fin;
      guint64 length;
      gsize header = 2;

      if (available < 2)
        break;
      opcode = data[0] & 0x0f;
      fin = (data[0] & 0x80) != 0;
      if ((data[0] & 0x70) != 0)
        {
          ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_PROTOCOL_ERROR, "reserved bits set");
          return;
        }
      if ((data[1] & 0x80) == 0)
        {
          ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_PROTOCOL_ERROR, "frames must be masked");
          return;
        }
      length = data[1] & 0x7f;
      if (length == 126)
        {
          if (available < 4)
            break;
          length = ((guint64) data[2] << 8) | data[3];
          header = 4;
        }
      else if (length == 127)
        {
          if (available < 10)
            break;
          length = 0;
          for (guint i = 2; i < 10; i++)
            length = (length << 8) | data[i];
          header = 10;
          if (length >> 63 != 0)
            {
              ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_PROTOCOL_ERROR, "bad length");
              return;
            }
        }
      if (opcode >= OPCODE_CLOSE && (length > CONTROL_MAX || !fin))
        {
          ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_PROTOCOL_ERROR, "bad control frame");
          return;
        }
      /* A message is a text or binary frame and its continuations, never two interleaved. */
      if ((opcode == OPCODE_CONTINUATION && !ws->in_message) ||
          ((opcode == OPCODE_TEXT || opcode == OPCODE_BINARY) && ws->in_message))
        {
          ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_PROTOCOL_ERROR, "bad fragment");
          return;
        }
      if (length > ws->max_payload)
        {
          ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_TOO_BIG, "message too big");
          return;
        }
      if (available < header + 4 + length)
        break;

      memcpy (mask, data + header, 4);
      data += header + 4;
      for (gsize i = 0; i < length; i++)
        data[i] ^= mask[i % 4];

      switch (opcode)
        {
        case OPCODE_TEXT:
          /* Dropped, the stream running one way, but text must be UTF-8.  (A fragmented
           * message's text is not checked: its pieces may split a character.) */
          if (fin && !g_utf8_validate ((const char *) data, (gssize) length, NULL))
            {
              ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_INVALID_DATA, "text is not UTF-8");
              return;
            }
          G_GNUC_FALLTHROUGH;
        case OPCODE_BINARY:
        case OPCODE_CONTINUATION:
          ws->in_message = !fin;
          break;
        case OPCODE_PING:
          queue_frame (ws, OPCODE_PONG, data, length);
          break;
        case OPCODE_PONG:
          ws->last_pong = g_get_monotonic_time ();
          break;
        case OPCODE_CLOSE:
          {
            guint code = length >= 2 ? (guint) ((data[0] << 8) | data[1]) : 0;

            /* Echo the code, as RFC 6455 asks; the server then closes the connection. */
            if (length == 1 || (length >= 2 && !valid_close_code (code)))
              ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_PROTOCOL_ERROR, "bad close code");
            else if (length > 2 && !g_utf8_validate ((const char *) data + 2, (gssize) length - 2, NULL))
              ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_INVALID_DATA, "close reason is not UTF-8");
            else
              ow_web_socket_close (ws, (guint16) code, NULL);
            return;
          }
        default:
          ow_web_socket_close (ws, OW_WEB_SOCKET_CLOSE_PROTOCOL_ERROR, "unknown opcode");
          return;
        }
      done += header + 4 + length;
    }
  if (!ws->ended)
    g_byte_array_remove_range (ws->incoming, 0, (guint) done);
}

static gboolean
readable_cb (GObject  *stream,
             gpointer  data)
{
  OwWebSocket *ws = data;
  g_autoptr(GError) error = NULL;
  guint8 buffer[READ_CHUNK];
  gssize got;

  got = g_pollable_input_stream_read_nonblocking (ws->input, buffer, sizeof buffer, NULL, &error);
  if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (got <= 0)
    {
      /* Gone without a close frame, or reset. */
      g_clear_pointer (&ws->read_source, g_source_unref);
      end (ws);
      return G_SOURCE_REMOVE;
    }
  if (ws->close_sent)
    return G_SOURCE_CONTINUE;
  g_byte_array_append (ws->incoming, buffer, (guint) got);
  read_frames (ws);
  ow_web_socket_flush (ws);
  return ws->ended ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static gboolean
ping_cb (gpointer data)
{
  OwWebSocket *ws = data;

  /* Only a client known to answer pings is judged by its silence: RFC 6455 asks for pongs,
   * but some minimal clients never send them. */
  if (ws->last_pong > 0 &&
      g_get_monotonic_time () - ws->last_pong > (gint64) SILENT_PINGS * ws->keepalive_s * G_USEC_PER_SEC)
    {
      g_clear_pointer (&ws->ping_source, g_source_unref);
      end (ws);
      return G_SOURCE_REMOVE;
    }
  queue_frame (ws, OPCODE_PING, NULL, 0);
  ow_web_socket_flush (ws);
  return G_SOURCE_CONTINUE;
}

OwWebSocket *
ow_web_socket_new (GIOStream       *stream,
                   guint            keepalive_s,
                   gsize            max_payload,
                   OwWebSocketFunc  closed_func,
                   OwWebSocketFunc  drained_func,
                   gpointer         data)
{
  OwWebSocket *ws;

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream)), NULL);

  ws = g_new0 (OwWebSocket, 1);
  ws->stream = g_object_ref (stream);
  ws->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  ws->output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  ws->context = g_main_context_ref_thread_default ();
  ws->incoming = g_byte_array_new ();
  ws->outgoing = g_byte_array_new ();
  ws->max_payload = max_payload;
  ws->keepalive_s = keepalive_s;
  ws->closed_func = closed_func;
  ws->drained_func = drained_func;
  ws->data = data;

  ws->read_source = g_pollable_input_stream_create_source (ws->input, NULL);
  g_source_set_callback (ws->read_source, G_SOURCE_FUNC (readable_cb), ws, NULL);
  g_source_attach (ws->read_source, ws->context);
  if (keepalive_s > 0)
    {
      ws->ping_source = g_timeout_source_new_seconds (keepalive_s);
      g_source_set_callback (ws->ping_source, ping_cb, ws, NULL);
      g_source_attach (ws->ping_source, ws->context);
    }
  return ws;
}

gboolean
ow_web_socket_is_open (OwWebSocket *ws)
{
  return !ws->ended && !ws->close_sent;
}

gsize
ow_web_socket_get_queued (OwWebSocket *ws)
{
  return ws->outgoing->len - ws->sent;
}

void
ow_web_socket_queue_text (OwWebSocket *ws,
                          const char  *text,
                          gsize        length)
{
  if (ow_web_socket_is_open (ws))
    queue_frame (ws, OPCODE_TEXT, text, length);
}

void
ow_web_socket_flush (OwWebSocket *ws)
{
  if (!ws->ended && ws->write_source == NULL && ws->outgoing->len > ws->sent)
    write_some (ws);
}

/* What is still queued is dropped: call after ow_web_socket_close () has had its chance. */
void
ow_web_socket_free (OwWebSocket *ws)
{
  if (ws == NULL)
    return;
  ws->closed_func = NULL;
  end (ws);
  clear_source (&ws->closed_source);
  g_byte_array_unref (ws->incoming);
  g_byte_array_unref (ws->outgoing);
  g_main_context_unref (ws->context);
  g_object_unref (ws->stream);
  g_free (ws);
}
