/*  validate_objection: an objection to a public notice (公示异议).
 *
 *  Notices in China take objections under a real name with a way to reach
 *  the objector; anonymous ones are not acted upon, so name and phone are
 *  required. The seeds give no length for the reason: 2000 characters is
 *  kechuang's limit.
 */
#include "intake/validate.h"
#include "kc/kc_check.h"

void validate_objection(const Kc__V1__SubmitObjection *request, kc_errors_t *errors)
{
    kc_check_text(request->application_id, "application_id", true, 32, errors);
    kc_check_text(request->objector_name, "objector_name", true, 50, errors);
    kc_check_text(request->objector_organisation, "objector_organisation", false, 100, errors);
    if (kc_check_text(request->phone, "phone", true, 32, errors) == 0)
        kc_check_phone(request->phone, "phone", errors);
    if (kc_check_text(request->email, "email", false, 254, errors) == 0)
        kc_check_email(request->email, "email", errors);
    kc_check_text(request->reason, "reason", true, 2000, errors);
}
