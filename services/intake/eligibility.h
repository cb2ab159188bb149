/*  eligibility: whether the division that applies may apply to the
 *  programme — in the programme's province, and on its list of eligible
 *  divisions when it has one (deploy/sql/0019_programme_scope.sql).
 *
 *  Asked of the database at each application rather than held in the
 *  catalogue: lists change by `kcctl eligible load`, and an application
 *  must be judged against the version in force when it arrives.
 */
#ifndef INTAKE_ELIGIBILITY_H
#define INTAKE_ELIGIBILITY_H

#include <libpq-fe.h>

#include "kc/kc_error.h"
#include "kc/v1/envelope.pb-c.h"

/* Add to `errors` why the application's county (or town) may not apply to
 * its programme in `year`: validation.outside_province on form.county_code,
 * validation.not_eligible on form.county_code or form.town_code. -1 only
 * when the database could not answer (then `errors` holds that). */
int eligibility_check(PGconn *conn, const Kc__V1__SubmitApplication *application, int year,
                      kc_errors_t *errors);

#endif
