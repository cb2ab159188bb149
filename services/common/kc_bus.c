/*  kc_bus: framing of kc.v1.Envelope over ZeroMQ.
 *
 *  Everything that crosses a socket is packed or unpacked here, so the
 *  checks that keep a daemon alive against hostile bytes live in one place:
 *  the body must be set and known, and `type` must name it.
 */
#include "kc/kc_bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "kc/kc_check.h"
#include "kc/kc_clock.h"
#include "kc/kc_id.h"

static const struct {
    Kc__V1__Envelope__BodyCase body;
    const char *name;
} s_bodies[] = {
    {KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS, "SubmitReports"},
    {KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION, "SubmitApplication"},
    {KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION, "SubmitObjection"},
    {KC__V1__ENVELOPE__BODY_GET_SUBMISSION, "GetSubmission"},
    {KC__V1__ENVELOPE__BODY_LIST_EVENTS, "ListEvents"},
    {KC__V1__ENVELOPE__BODY_LIST_DIVISIONS, "ListDivisions"},
    {KC__V1__ENVELOPE__BODY_PING, "Ping"},
    {KC__V1__ENVELOPE__BODY_SCORE_YEAR, "ScoreYear"},
    {KC__V1__ENVELOPE__BODY_GET_SCORING_JOB, "GetScoringJob"},
    {KC__V1__ENVELOPE__BODY_ACT_ON_APPLICATION, "ActOnApplication"},
    {KC__V1__ENVELOPE__BODY_LIST_INBOX, "ListInbox"},
    {KC__V1__ENVELOPE__BODY_GET_APPLICATION_HISTORY, "GetApplicationHistory"},
    {KC__V1__ENVELOPE__BODY_RESOLVE_OBJECTION, "ResolveObjection"},
    {KC__V1__ENVELOPE__BODY_DECLARE_CONFLICT, "DeclareConflict"},
    {KC__V1__ENVELOPE__BODY_SCORE_APPLICATION, "ScoreApplication"},
    {KC__V1__ENVELOPE__BODY_GET_PANEL, "GetPanel"},
    {KC__V1__ENVELOPE__BODY_GET_PROGRESS, "GetProgress"},
    {KC__V1__ENVELOPE__BODY_LIST_NOTIFICATIONS, "ListNotifications"},
    {KC__V1__ENVELOPE__BODY_MARK_NOTIFICATIONS_READ, "MarkNotificationsRead"},
    {KC__V1__ENVELOPE__BODY_ACCEPTED, "Accepted"},
    {KC__V1__ENVELOPE__BODY_REJECTED, "Rejected"},
    {KC__V1__ENVELOPE__BODY_SUBMISSION_STATUS, "SubmissionStatus"},
    {KC__V1__ENVELOPE__BODY_EVENT_PAGE, "EventPage"},
    {KC__V1__ENVELOPE__BODY_DIVISION_LIST, "DivisionList"},
    {KC__V1__ENVELOPE__BODY_PONG, "Pong"},
    {KC__V1__ENVELOPE__BODY_SCORING_JOB, "ScoringJob"},
    {KC__V1__ENVELOPE__BODY_WORKFLOW_STATE, "WorkflowState"},
    {KC__V1__ENVELOPE__BODY_INBOX, "Inbox"},
    {KC__V1__ENVELOPE__BODY_PANEL_VIEW, "PanelView"},
    {KC__V1__ENVELOPE__BODY_PROGRESS, "Progress"},
    {KC__V1__ENVELOPE__BODY_NOTIFICATION_LIST, "NotificationList"},
};

int kc_bus_configure(void *socket, size_t max_message_bytes)
{
    int linger = 1000; /* replies get a second to leave on close, no more */
    int hwm = 10000;   /* deep enough for 16 pipelining clients and bursts */
    int keepalive = 1; /* notice dead TCP peers across sites */
    int64_t max_size = max_message_bytes ? (int64_t)max_message_bytes : -1;
    if (zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(socket, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(socket, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(socket, ZMQ_TCP_KEEPALIVE, &keepalive, sizeof keepalive) ||
        zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size))
        return -1;
    return 0;
}

const char *kc_bus_body_name(Kc__V1__Envelope__BodyCase body)
{
    for (size_t i = 0; i < sizeof s_bodies / sizeof s_bodies[0]; i++)
        if (s_bodies[i].body == body)
            return s_bodies[i].name;
    return "";
}

/* True if `message` or any message inside it kept an unknown field with
 * number 0. protobuf-c 1.4.1 refuses field 0 only in a one-byte key, so an
 * over-long key (82 00) slips through and re-packs into bytes it refuses:
 * such a frame is malformed, whatever the library let pass. */
static bool s_has_field_zero(const ProtobufCMessage *message)
{
    for (unsigned i = 0; i < message->n_unknown_fields; i++)
        if (message->unknown_fields[i].tag == 0)
            return true;
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    const char *base = (const char *)message;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[i];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + field->quantifier_offset) != field->id)
            continue;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *)(base + field->quantifier_offset);
            ProtobufCMessage *const *items =
                *(ProtobufCMessage *const *const *)(base + field->offset);
            for (size_t j = 0; j < count; j++)
                if (s_has_field_zero(items[j]))
                    return true;
        } else {
            const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)(base + field->offset);
            if (sub && s_has_field_zero(sub))
                return true;
        }
    }
    return false;
}

/* The header field that is not valid UTF-8, or NULL. The header is echoed
 * in replies (correlation id) and stored, so it must be text. */
static const char *s_bad_header(const kc_envelope_t *envelope)
{
    const struct {
        const char *value;
        const char *field;
    } fields[] = {
        {envelope->message_id, "message_id"},
        {envelope->type, "type"},
        {envelope->idempotency_key, "idempotency_key"},
        {envelope->sender_node, "sender_node"},
        {envelope->correlation_id, "correlation_id"},
        {envelope->actor ? envelope->actor->user_id : "", "actor.user_id"},
        {envelope->actor ? envelope->actor->role : "", "actor.role"},
        {envelope->actor ? envelope->actor->division_code : "", "actor.division_code"},
        {envelope->actor ? envelope->actor->organisation : "", "actor.organisation"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (kc_utf8_length(fields[i].value) < 0)
            return fields[i].field;
    return NULL;
}

/* A decoding budget: protobuf-c allocates a struct for every element it
 * decodes, so a frame of tiny elements (2-byte empty reports) would cost
 * thirty times its size in memory. Legitimate messages need about five
 * times their size; past eight, decoding stops and the frame is refused. */
typedef struct {
    size_t used;
    size_t limit;
    bool exhausted; /* an allocation was refused */
} s_budget_t;

static void *s_budget_alloc(void *data, size_t size)
{
    s_budget_t *budget = data;
    if (size > budget->limit - budget->used) {
        budget->exhausted = true;
        return NULL;
    }
    budget->used += size;
    return malloc(size); /* freed by free(): kc_bus_free needs no budget */
}

static void s_budget_free(void *data, void *pointer)
{
    (void)data;
    free(pointer);
}

kc_envelope_t *kc_bus_decode(const void *bytes, size_t size, kc_error_t *error)
{
    s_budget_t budget = {0, 8 * size + (1u << 20), false};
    ProtobufCAllocator allocator = {s_budget_alloc, s_budget_free, &budget};
    kc_envelope_t *envelope = kc__v1__envelope__unpack(&allocator, size, bytes);
    if (envelope && s_has_field_zero(&envelope->base))
        kc_bus_free(&envelope);
    if (!envelope) {
        kc_error_set(error, KC_ERR_MALFORMED, NULL, "frame is not a kc.v1.Envelope");
        if (budget.exhausted)
            kc_error_detail(error, "%zu bytes would take more than %zu bytes of memory decoded",
                            size, budget.limit);
        else
            kc_error_detail(error, "%zu bytes could not be decoded", size);
        return NULL;
    }
    const char *expected = kc_bus_body_name(envelope->body_case);
    if (!*expected) {
        kc_error_set(error, KC_ERR_UNKNOWN_TYPE, "body", "message has no known body");
        kc_error_detail(error, "type '%.64s', body field %d", envelope->type,
                        (int)envelope->body_case);
        kc_error_hint(error, "this node speaks kc.v1; see proto/README.md for its messages");
    } else if (strcmp(envelope->type, expected) != 0) {
        kc_error_set(error, KC_ERR_TYPE_MISMATCH, "type", "type '%.64s' does not match the body",
                     envelope->type);
        kc_error_detail(error, "the body is a %s", expected);
    } else if (!*envelope->message_id) {
        kc_error_set(error, KC_ERR_MISSING_HEADER, "message_id", "message id is missing");
    } else if (s_bad_header(envelope)) {
        kc_error_set(error, KC_ERR_MALFORMED, s_bad_header(envelope),
                     "header field '%s' is not valid UTF-8", s_bad_header(envelope));
    } else {
        return envelope;
    }
    kc_bus_free(&envelope);
    return NULL;
}

void kc_bus_free(kc_envelope_t **envelope)
{
    if (envelope && *envelope) {
        kc__v1__envelope__free_unpacked(*envelope, NULL);
        *envelope = NULL;
    }
}

void kc_bus_stamp(kc_envelope_t *envelope, char id[KC_ID_SIZE], const char *sender_node,
                  Kc__V1__Actor *actor)
{
    kc_id_new(id);
    envelope->message_id = id;
    envelope->type = (char *)kc_bus_body_name(envelope->body_case);
    envelope->sender_node = (char *)(sender_node ? sender_node : "");
    envelope->actor = actor;
    envelope->sent_at_ms = kc_clock_now_ms();
}

int kc_bus_send(void *socket, const void *identity, size_t identity_size, bool delimited,
                const kc_envelope_t *envelope, kc_error_t *error)
{
    size_t size = kc__v1__envelope__get_packed_size(envelope);
    zmq_msg_t frame;
    if (zmq_msg_init_size(&frame, size))
        return kc_error_set(error, KC_ERR_INTERNAL, NULL, "cannot allocate a %zu-byte frame", size);
    kc__v1__envelope__pack(envelope, zmq_msg_data(&frame));
    int flags = ZMQ_DONTWAIT;
    if ((identity && zmq_send(socket, identity, identity_size, flags | ZMQ_SNDMORE) < 0) ||
        (identity && delimited && zmq_send(socket, "", 0, flags | ZMQ_SNDMORE) < 0) ||
        zmq_msg_send(&frame, socket, flags) < 0) {
        int cause = errno;
        zmq_msg_close(&frame);
        return kc_error_set(error, KC_ERR_INTERNAL, NULL, "cannot send %s: %s",
                            kc_bus_body_name(envelope->body_case), zmq_strerror(cause));
    }
    return 0;
}

static char *s_dup(const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy)
        abort();
    return copy;
}

/* A heap copy that is valid UTF-8 whatever the error quoted: messages
 * repeat what the sender sent, and a reply with broken UTF-8 would be
 * refused whole by strict protobuf decoders. */
static char *s_dup_utf8(const char *text)
{
    size_t size = strlen(text ? text : "") + 1;
    char *copy = malloc(size);
    if (!copy)
        abort();
    kc_utf8_sanitise(text ? text : "", copy, size);
    return copy;
}

Kc__V1__Error *kc_bus_error_new(const kc_error_t *error)
{
    Kc__V1__Error *out = malloc(sizeof *out);
    if (!out)
        abort();
    kc__v1__error__init(out);
    out->code = s_dup(kc_error_code_name(error->code));
    out->field = s_dup_utf8(error->field);
    out->message = s_dup_utf8(error->message);
    out->detail = s_dup_utf8(error->detail);
    out->hint = s_dup_utf8(error->hint);
    return out;
}

Kc__V1__Rejected *kc_bus_rejected_new(const kc_errors_t *errors)
{
    Kc__V1__Rejected *rejected = malloc(sizeof *rejected);
    if (!rejected)
        abort();
    kc__v1__rejected__init(rejected);
    rejected->n_errors = errors->kept;
    rejected->errors = calloc(errors->kept ? errors->kept : 1, sizeof *rejected->errors);
    if (!rejected->errors)
        abort();
    for (size_t i = 0; i < errors->kept; i++)
        rejected->errors[i] = kc_bus_error_new(&errors->items[i]);
    rejected->error_count = (int32_t)errors->total;
    return rejected;
}

void kc_bus_rejected_destroy(Kc__V1__Rejected **rejected)
{
    if (rejected && *rejected) {
        kc__v1__rejected__free_unpacked(*rejected, NULL);
        *rejected = NULL;
    }
}

int kc_bus_send_error(void *socket, const void *identity, size_t identity_size, bool delimited,
                      const char *sender_node, const char *request_id, const kc_error_t *error)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    kc_errors_push(&errors, error);
    kc_envelope_t reply = KC__V1__ENVELOPE__INIT;
    reply.body_case = KC__V1__ENVELOPE__BODY_REJECTED;
    reply.rejected = kc_bus_rejected_new(&errors);
    char id[KC_ID_SIZE];
    kc_bus_stamp(&reply, id, sender_node, NULL);
    reply.correlation_id = (char *)(request_id ? request_id : "");
    kc_error_t send_error;
    int rc = kc_bus_send(socket, identity, identity_size, delimited, &reply, &send_error);
    kc_bus_rejected_destroy(&reply.rejected);
    kc_errors_release(&errors);
    return rc;
}

void kc_bus_rejected_first(const Kc__V1__Rejected *rejected, kc_error_t *error)
{
    kc_error_clear(error);
    if (!rejected || rejected->n_errors == 0) {
        kc_error_set(error, KC_ERR_INTERNAL, NULL, "request rejected without a reason");
        return;
    }
    const Kc__V1__Error *first = rejected->errors[0];
    kc_error_set(error, kc_error_code_from_name(first->code), first->field, "%s", first->message);
    kc_error_detail(error, "%s", first->detail);
    kc_error_hint(error, "%s", first->hint);
}
