/*  process_authorise: may this actor take this step on this application?
 *
 *  Two questions, in order. The role: a step belongs to one role (the
 *  county S&T bureau approves, the county government consents, the city
 *  bureau recommends...), and holding another role is not enough. Then
 *  the jurisdiction, by GB/T 2260 division code: a county acts only on its
 *  own county's applications, a city on its counties (first four digits +
 *  "00"), the province on its own (first two + "0000"). The applicant and
 *  the public have no administrative level, so their division says
 *  nothing (whether the applicant owns the application is the caller's
 *  question); `system` steps are timers and only the system takes them.
 *
 *  A county-level city that reports at city level (Hebei's Dingzhou 130682
 *  and Xinji 130181, which report at city level in Hebei) acts as the city for
 *  its own applications: a city-level actor whose division is the
 *  application's county itself is allowed. That is the project's reading,
 *  not a rule the seeds state.
 *
 *  Refusals say who tried what, in the codes an official knows: "city
 *  130200 may not act on an application of county 130123 (city 130100)".
 */
#include <stdio.h>
#include <string.h>

#include "process/process.h"

static bool s_division_valid(const char *code)
{
    return code && strlen(code) == 6 && strspn(code, "0123456789") == 6;
}

/* The code of the city (keep = 4) or province (keep = 2) over a county. */
static void s_parent(const char *county, size_t keep, char out[7])
{
    memcpy(out, county, keep);
    memset(out + keep, '0', 6 - keep);
    out[6] = '\0';
}

static int s_jurisdiction(const wf_transition_t *transition, const char *division,
                          const char *county, kc_error_t *error)
{
    char parent[7];
    switch (transition->level) {
    case WF_LEVEL_COUNTY:
        if (strcmp(division, county) == 0)
            return 0;
        return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                            "county %s may not act on an application of county %s", division,
                            county);
    case WF_LEVEL_CITY:
        s_parent(county, 4, parent);
        if (strcmp(division, parent) == 0 || strcmp(division, county) == 0)
            return 0;
        return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                            "city %s may not act on an application of county %s (city %s)",
                            division, county, parent);
    case WF_LEVEL_PROVINCE:
        s_parent(county, 2, parent);
        if (strcmp(division, parent) == 0)
            return 0;
        return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                            "province %s may not act on an application of county %s (province %s)",
                            division, county, parent);
    case WF_LEVEL_NONE:
        break;
    }
    return 0;
}

int process_authorise(const wf_transition_t *transition, const char *role, const char *division,
                      const char *county_code, kc_error_t *error)
{
    if (!role || !*role)
        return kc_error_set(error, KC_ERR_DENIED, "actor.role", "no role given for transition '%s'",
                            transition->code);
    if (strcmp(role, transition->role) != 0) {
        kc_error_set(error, KC_ERR_DENIED, "actor.role",
                     "role '%s' may not take transition '%s': it is for role '%s'", role,
                     transition->code, transition->role);
        kc_error_detail(error, "%s", transition->name_zh);
        return -1;
    }
    if (strcmp(transition->role, "system") == 0 || transition->level == WF_LEVEL_NONE)
        return 0; /* timers; the applicant and the public have no jurisdiction */
    if (!s_division_valid(division))
        return kc_error_set(error, KC_ERR_DENIED, "actor.division_code",
                            "division code '%s' is not six digits", division ? division : "");
    if (!s_division_valid(county_code))
        return kc_error_set(error, KC_ERR_DENIED, "application.county_code",
                            "the application's county code '%s' is not six digits",
                            county_code ? county_code : "");
    return s_jurisdiction(transition, division, county_code, error);
}
