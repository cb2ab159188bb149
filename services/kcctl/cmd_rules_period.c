/*  cmd_rules_period: the period lines of `kcctl methodology|rewards check|load`.
 *
 *  A methodology or reward policy states the evaluation years it applies
 *  to (periods.h): from a year until a version from a later year replaces
 *  it, or up to a stated last year. What it will actually govern depends
 *  on the versions already stored, so besides the stated years kcctl shows
 *  the years it is (or, for `check`, would be) in force on this node and
 *  which stored versions keep the others, by the rule the scoring jobs use
 *  (scoring_methodology_for, reward_policy_for).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kcctl/kcctl.h"
#include "scoring/periods.h"

/* Stored versions in the order they were loaded: a later one wins a tie. */
static const char *s_methodology_sql =
    "SELECT code, first_year, last_year FROM scoring_methodology ORDER BY loaded_at, code";
static const char *s_policy_sql =
    "SELECT code, first_year, last_year FROM reward_policy ORDER BY loaded_at, code";

/* The stored versions plus `self_version` (last, unless stored); NULL
 * after printing why. *index is where self_version is. */
static periods_version_t *s_versions(kcctl_t *self, const char *table,
                                     const periods_version_t *self_version, size_t *count,
                                     size_t *index)
{
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl", &error);
    PGresult *result = NULL;
    if (conn)
        kc_db_run(conn, strcmp(table, "methodology") == 0 ? s_methodology_sql : s_policy_sql, 0,
                  NULL, NULL, NULL, "reading the stored versions", &result, &error);
    kc_db_disconnect(&conn);
    if (!result) {
        printf("  in force: not known, the node's database could not be read: %s\n", error.message);
        return NULL;
    }
    size_t rows = (size_t)PQntuples(result);
    periods_version_t *versions = calloc(rows + 1, sizeof *versions);
    if (!versions)
        abort();
    *index = rows;
    for (size_t i = 0; i < rows; i++) {
        snprintf(versions[i].code, sizeof versions[i].code, "%s", PQgetvalue(result, (int)i, 0));
        versions[i].first_year = (int)kc_db_int(result, (int)i, 1);
        versions[i].last_year = (int)kc_db_int(result, (int)i, 2);
        if (strcmp(versions[i].code, self_version->code) == 0)
            *index = i;
    }
    PQclear(result);
    if (*index == rows)
        versions[rows] = *self_version;
    *count = *index == rows ? rows + 1 : rows;
    return versions;
}

void kcctl_rules_period(kcctl_t *self, const char *table, const char *code, int first_year,
                        int last_year)
{
    const char *noun = strcmp(table, "methodology") == 0 ? "methodology" : "policy";
    char stated[16];
    periods_format(first_year, last_year, stated, sizeof stated);
    if (last_year >= PERIODS_OPEN)
        printf("  years: %s, from %d until a %s from a later year replaces it\n", stated,
               first_year, noun);
    else
        printf("  years: %s, evaluation years %s only\n", stated, stated);
    periods_version_t version = {.first_year = first_year, .last_year = last_year};
    snprintf(version.code, sizeof version.code, "%s", code);
    size_t count = 0, index = 0;
    periods_version_t *versions = s_versions(self, table, &version, &count, &index);
    if (!versions)
        return;
    char applied[512], replaced[512];
    periods_applied(versions, count, index, applied, sizeof applied, replaced, sizeof replaced);
    printf("  in force: %s, among the %zu %s version%s of this node%s%s\n", applied, count, noun,
           count == 1 ? "" : "s", replaced[0] ? "; other years: " : "", replaced);
    free(versions);
}
