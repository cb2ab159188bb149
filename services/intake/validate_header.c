/*  validate_header: the envelope fields every write carries — who acts,
 *  under which idempotency key. They are stored with the submission, so
 *  they meet the same rules as form fields: valid UTF-8, bounded length.
 */
#include <string.h>

#include "intake/validate.h"
#include "kc/kc_check.h"

void validate_actor(const Kc__V1__Actor *actor, kc_errors_t *errors)
{
    if (!actor) {
        kc_errors_add(errors, KC_ERR_MISSING_HEADER, "actor", "acting user is missing");
        return;
    }
    if (!*actor->user_id)
        kc_errors_add(errors, KC_ERR_MISSING_HEADER, "actor.user_id", "acting user is not named");
    else
        kc_check_text(actor->user_id, "actor.user_id", true, 64, errors);
    if (!*actor->role)
        kc_errors_add(errors, KC_ERR_MISSING_HEADER, "actor.role", "acting user has no role");
    else
        kc_check_text(actor->role, "actor.role", true, 32, errors);
    size_t length = strlen(actor->division_code);
    if (length != 6 || strspn(actor->division_code, "0123456789") != 6)
        kc_errors_add(errors, KC_ERR_MISSING_HEADER, "actor.division_code",
                      "division of the acting user is not a six-digit code");
    kc_check_text(actor->organisation, "actor.organisation", false, 100, errors);
}

void validate_header(const Kc__V1__Envelope *request, kc_errors_t *errors)
{
    if (!*request->idempotency_key)
        kc_errors_add(errors, KC_ERR_MISSING_HEADER, "idempotency_key",
                      "a write needs an idempotency key");
    else
        kc_check_text(request->idempotency_key, "idempotency_key", true, 200, errors);
    kc_check_text(request->message_id, "message_id", true, 100, errors);
    kc_check_text(request->sender_node, "sender_node", false, 64, errors);
    validate_actor(request->actor, errors);
}
