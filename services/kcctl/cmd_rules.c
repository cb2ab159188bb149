/*  cmd_rules: kcctl methodology check|load FILE and kcctl rewards check|load FILE.
 *
 *  `check` parses and validates a file and prints every problem (or a
 *  summary), touching nothing; `load` does the same and then stores the
 *  file verbatim with its SHA-256 (scoring_rules_store: the same code
 *  again with the same text is a no-op, with other text a refusal). Both
 *  end with the years the version states and the years it is in force
 *  on this node (cmd_rules_period.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kcctl/kcctl.h"
#include "scoring/methodology.h"
#include "scoring/periods.h"
#include "scoring/rewards.h"
#include "scoring/snapshot.h"

void kcctl_rules_refused(const kcctl_t *self, const kc_errors_t *errors)
{
    char intro[600];
    snprintf(intro, sizeof intro, "refused: %s", self->positional[1]);
    kcctl_print_file_errors(intro, "stored", errors);
}

int kcctl_rules_begin(kcctl_t *self, const char *what, char **text, size_t *size)
{
    if (self->positional_count != 2 ||
        (strcmp(self->positional[0], "check") != 0 && strcmp(self->positional[0], "load") != 0)) {
        fprintf(stderr, "usage: kcctl %s check|load FILE.ini\n", what);
        return -1;
    }
    *text = kcctl_read_small_file(self->positional[1], size);
    if (!*text)
        return -1;
    return strcmp(self->positional[0], "load") == 0;
}

/* The whole file; rule files are small, anything past 1 MiB is a mistake. */
char *kcctl_read_small_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "error: cannot open '%s' [input.invalid]\n", path);
        return NULL;
    }
    size_t capacity = 1 << 20;
    char *text = malloc(capacity + 1);
    if (!text)
        abort();
    *size = fread(text, 1, capacity + 1, file);
    int failed = ferror(file);
    fclose(file);
    if (failed || *size > capacity) {
        fprintf(stderr, "error: cannot read '%s' or it is larger than 1 MiB [input.invalid]\n",
                path);
        free(text);
        return NULL;
    }
    text[*size] = '\0';
    return text;
}

static int s_store(kcctl_t *self, const char *table, const char *code, const char *framework,
                   const char *title, int first, int last, const char *text, size_t size)
{
    kc_error_t error;
    char sha[65], first_text[16], last_text[16], by[160];
    snapshot_sha256(text, size, sha);
    snprintf(first_text, sizeof first_text, "%d", first);
    snprintf(last_text, sizeof last_text, "%d", last);
    snprintf(by, sizeof by, "%s@%s", self->user, self->config.node_id);
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    const char *params[9] = {table, code, framework, title, first_text, last_text, text, sha, by};
    PGresult *result = PQexecParams(conn,
                                    "SELECT scoring_rules_store($1, $2, $3, $4, $5::int, $6::int,"
                                    " $7, $8, $9)",
                                    9, NULL, params, NULL, NULL, 0);
    int rc = kc_db_check(conn, result, "storing the file", &error);
    if (rc)
        kcctl_print_error(&error);
    else
        printf("%s %s %s (sha256 %s)\n", table, code, PQgetvalue(result, 0, 0), sha);
    PQclear(result);
    kc_db_disconnect(&conn);
    return rc;
}

int kcctl_methodology(kcctl_t *self)
{
    size_t size = 0;
    char *text = NULL;
    int load = kcctl_rules_begin(self, "methodology", &text, &size);
    if (load < 0)
        return -1;
    static sc_methodology_t m;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = methodology_parse(text, size, &m, &errors);
    if (rc) {
        kcctl_rules_refused(self, &errors);
    } else {
        methodology_describe(&m, stdout);
        if (load)
            rc = s_store(self, "methodology", m.code, m.framework, m.title_zh, m.first_year,
                         m.last_year, text, size);
        if (rc == 0)
            kcctl_rules_period(self, "methodology", m.code, m.first_year, m.last_year);
    }
    kc_errors_release(&errors);
    free(text);
    return rc;
}

int kcctl_rewards(kcctl_t *self)
{
    size_t size = 0;
    char *text = NULL;
    int load = kcctl_rules_begin(self, "rewards", &text, &size);
    if (load < 0)
        return -1;
    sc_reward_policy_t policy;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = rewards_parse(text, size, &policy, &errors);
    if (rc) {
        kcctl_rules_refused(self, &errors);
    } else {
        rewards_describe(&policy, stdout);
        if (load)
            rc = s_store(self, "policy", policy.code, "", policy.title_zh, policy.first_year,
                         policy.last_year, text, size);
        if (rc == 0)
            kcctl_rules_period(self, "policy", policy.code, policy.first_year, policy.last_year);
    }
    kc_errors_release(&errors);
    free(text);
    return rc;
}
