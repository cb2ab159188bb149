/*  validate: every rule a write must pass before anything is stored.
 *
 *  Each validator looks at the whole request and appends every problem it
 *  finds to `errors` (so the sender can fix them all at once) with the path
 *  of the field: "reports[12].value", "form.head.id_card". A request with
 *  any error is refused whole: a batch is all or nothing.
 */
#ifndef INTAKE_VALIDATE_H
#define INTAKE_VALIDATE_H

#include "intake/catalogue.h"
#include "kc/kc_error.h"
#include "kc/v1/envelope.pb-c.h"

/* The acting user must be named, with a role and a six-digit division;
 * every header field is valid UTF-8 of a bounded length. */
void validate_actor(const Kc__V1__Actor *actor, kc_errors_t *errors);

/* The header of a write: an idempotency key of 1 to 200 characters, a
 * message id and sender node of bounded length, all valid UTF-8, and the
 * actor (validate_actor). */
void validate_header(const Kc__V1__Envelope *request, kc_errors_t *errors);

/* Evaluation years after the current year (Beijing time, kc_clock_year)
 * that values may be sent for. The data of a year arrive during the next,
 * and a year with a framework in force may have no stated end: this bound
 * is a guard against mistyped years (2062 for 2026), not a schedule. One
 * year of slack lets a sheet for the coming evaluation year be prepared
 * and tried before 1 January; anything later is refused. */
#define VALIDATE_YEARS_AHEAD 1

/* Provider known; each value's county valid that year, a framework in
 * force that year, the year at most VALIDATE_YEARS_AHEAD after the
 * current one, indicator known that year and supplied
 * by this provider, value finite and within range; no value twice. The
 * actor must speak for the provider: its organisation is the provider, or,
 * for county-supplied indicators, its division is the county or above it. */
void validate_reports(const catalogue_t *catalogue, const Kc__V1__Actor *actor,
                      const Kc__V1__SubmitReports *request, kc_errors_t *errors);

/* Every field of the mountain demonstration-base form (seed 000, annex 1
 * and 2): required fields, character limits, ID cards, phones, e-mail,
 * website, dates; the county must be valid this year. */
void validate_application(const catalogue_t *catalogue, const Kc__V1__SubmitApplication *request,
                          kc_errors_t *errors);

/* An objection names the application, a real name, a way to reach the
 * objector and a reason. Whether the application exists is checked
 * against the database by the caller. */
void validate_objection(const Kc__V1__SubmitObjection *request, kc_errors_t *errors);

/* The prefix of a programme's reference numbers ("MB"), NULL when the
 * programme takes no applications. */
const char *validate_application_prefix(const char *programme);

/* What identifies a validated application: its county, the name of what
 * applies (base, county, town, project) and the applicant organisation. */
void validate_application_key(const Kc__V1__SubmitApplication *request, const char **county,
                              const char **name, const char **organisation);

/* True for the programmes whose applicant is a town (innovative_town,
 * specialised_town): their form names the town as well as its county. */
bool validate_application_town(const char *programme);

/* The designation a mountain base is granted at filing (seed 000 §三.(二).3):
 * 河北省山区“一县一业一基地一团队”科技示范工程——{县}{产业}产业科技示范基地. */
void validate_filing_title(const char *county_name, const char *industry, char *out,
                           size_t out_size);

#endif
