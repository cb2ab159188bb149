/*  cmd_eligible: the divisions that may apply to a programme.
 *
 *    kcctl eligible load PROGRAMME FILE.csv --notice SOURCE
 *    kcctl eligible show PROGRAMME
 *
 *  A programme belongs to one province (deploy/sql/0019_programme_scope.sql)
 *  and may take applications only from a list of its divisions: seed 000's
 *  mountain bases only from Hebei's 山区县. load reads a list (columns code
 *  and name, format in deploy/data/eligible/README.md) and stores it as the
 *  next version with the document it comes from, audited; kc-intake judges
 *  every later application against it. show prints the version in force,
 *  where it comes from, who loaded it and every division on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_audit.h"
#include "kc/kc_check.h"
#include "kc/kc_db.h"
#include "kcctl/csv_table.h"
#include "kcctl/kcctl.h"

static int s_usage(void)
{
    fprintf(stderr, "usage: kcctl eligible load PROGRAMME FILE.csv --notice SOURCE\n"
                    "       kcctl eligible show PROGRAMME\n");
    return -1;
}

/* The file's codes and names, each joined by line feeds for string_to_array
 * in SQL (malloc'd, NULL when the file cannot be read). */
typedef struct {
    char *codes;
    char *names;
} s_list_t;

static void s_append(char **joined, size_t *length, const char *text)
{
    size_t size = strlen(text);
    char *grown = realloc(*joined, *length + size + 2);
    if (!grown)
        abort();
    if (*length)
        grown[(*length)++] = '\n';
    memcpy(grown + *length, text, size + 1);
    *length += size;
    *joined = grown;
}

static int s_read_list(const char *path, s_list_t *list, kc_errors_t *errors)
{
    csv_table_t table;
    kc_error_t error;
    if (csv_table_read(&table, path, &error)) {
        kc_errors_push(errors, &error);
        return -1;
    }
    size_t codes_length = 0, names_length = 0;
    for (size_t r = 0; r < table.row_count; r++) {
        const csv_row_t *row = &table.rows[r];
        const char *code = table.cells[row->first].text;
        const char *name = row->count > 1 ? table.cells[row->first + 1].text : "";
        char field[32];
        snprintf(field, sizeof field, "line %zu", row->line);
        if ((r == 0 && strcmp(code, "code") == 0) || (row->count == 1 && !*code))
            continue; /* the header, a blank line */
        size_t digits = strspn(code, "0123456789");
        if ((digits != 6 && digits != 9) || code[digits])
            kc_errors_add(errors, KC_ERR_INVALID_FORMAT, field,
                          "代码 '%.16s' 应为六位（县级）或九位（乡镇）数字", code);
        else if (strchr(name, '\n') || strchr(name, '\r'))
            kc_errors_add(errors, KC_ERR_INVALID_FORMAT, field, "名称不能跨行");
        s_append(&list->codes, &codes_length, code);
        s_append(&list->names, &names_length, name);
    }
    csv_table_release(&table);
    if (!errors->total && !codes_length)
        kc_errors_add(errors, KC_ERR_REQUIRED, path, "名单中没有任何区划");
    return errors->total ? -1 : 0;
}

static int s_store(kcctl_t *self, PGconn *conn, const char *programme, const char *codes,
                   const char *names, kc_error_t *error)
{
    char by[160];
    snprintf(by, sizeof by, "%s (%s)", self->user, self->role);
    const char *values[] = {programme, self->notice, by, codes, names};
    PGresult *result = PQexecParams(conn,
                                    "SELECT eligible_list_store($1, $2, $3,"
                                    " string_to_array($4, E'\\n'), string_to_array($5, E'\\n'))",
                                    5, NULL, values, NULL, NULL, 0);
    int rc = kc_db_check(conn, result, "storing the list", error);
    int version = rc ? 0 : (int)kc_db_int(result, 0, 0);
    PQclear(result);
    if (rc)
        return -1;
    if (version == 0) {
        printf("%s：与现行名单相同，未作改动\n", programme);
        return 0;
    }
    char reason[512];
    snprintf(reason, sizeof reason, "第 %d 版，依据%s", version, self->notice);
    kc_audit_entry_t entry = {
        self->config.node_id, self->user, self->role, self->division, self->organisation,
        "eligible.load",      programme,  true,       reason,         ""};
    if (kc_audit_append(conn, &entry, NULL, error))
        return -1;
    printf("%s：已载入申报范围名单第 %d 版，依据%s\n", programme, version, self->notice);
    return 0;
}

static int s_load(kcctl_t *self, const char *programme, const char *path)
{
    long chars = kc_utf8_length(self->notice);
    if (chars < 1 || chars > 200) {
        fprintf(stderr, "error: eligible load needs --notice: the document the list comes from "
                        "(title, number, date), 1 to 200 characters [validation.required]\n");
        return -1;
    }
    s_list_t list = {NULL, NULL};
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = s_read_list(path, &list, &errors);
    if (rc) {
        char intro[600];
        snprintf(intro, sizeof intro, "refused: %s", path);
        kcctl_print_file_errors(intro, "stored", &errors);
    }
    kc_errors_release(&errors);
    kc_error_t error;
    PGconn *conn = NULL;
    if (rc == 0) {
        conn = kc_db_connect(self->config.conninfo, "kcctl eligible", &error);
        rc = conn ? kc_db_exec(conn, "BEGIN", &error) : -1;
        if (rc == 0)
            rc = s_store(self, conn, programme, list.codes, list.names, &error);
        if (rc == 0)
            rc = kc_db_exec(conn, "COMMIT", &error);
        if (rc) {
            kcctl_print_error(&error);
            fprintf(stderr, "nothing was stored\n");
        }
    }
    kc_db_disconnect(&conn);
    free(list.codes);
    free(list.names);
    return rc;
}

static int s_show(kcctl_t *self, const char *programme)
{
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl eligible", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    const char *values[] = {programme};
    PGresult *result = PQexecParams(
        conn,
        "SELECT s.name_zh, p.name, l.version, l.source, l.loaded_by,"
        "       to_char(l.loaded_at, 'YYYY-MM-DD'), e.code,"
        "       coalesce((SELECT d.name FROM division d WHERE d.code = e.code"
        "                 ORDER BY d.valid_to DESC LIMIT 1), ''), s.subject_level"
        "  FROM programme_scope s"
        "  LEFT JOIN division p ON p.code = s.province_code AND p.valid_to = 'infinity'"
        "  LEFT JOIN LATERAL (SELECT * FROM eligible_list x WHERE x.programme = s.programme"
        "                      ORDER BY x.version DESC LIMIT 1) l ON true"
        "  LEFT JOIN eligible_division e ON e.programme = l.programme AND e.version = l.version"
        " WHERE s.programme = $1 ORDER BY e.code",
        1, NULL, values, NULL, NULL, 0);
    int rc = kc_db_check(conn, result, "reading the list", &error);
    if (rc == 0 && PQntuples(result) == 0) {
        rc = kc_error_set(&error, KC_ERR_UNKNOWN_PROGRAMME, "programme",
                          "programme '%.32s' is not known", programme);
    }
    if (rc) {
        kcctl_print_error(&error);
    } else if (PQgetisnull(result, 0, 2)) {
        printf("%s（%s）：无申报范围名单，%s所有%s均可申报\n", PQgetvalue(result, 0, 0), programme,
               PQgetvalue(result, 0, 1),
               strcmp(PQgetvalue(result, 0, 8), "4") == 0 ? "乡镇（街道）" : "县级单位");
    } else {
        printf("%s（%s）：申报范围名单第 %s 版，%d 个区划\n", PQgetvalue(result, 0, 0), programme,
               PQgetvalue(result, 0, 2), PQntuples(result));
        printf("  依据：%s\n  载入：%s，%s\n", PQgetvalue(result, 0, 3), PQgetvalue(result, 0, 4),
               PQgetvalue(result, 0, 5));
        for (int i = 0; i < PQntuples(result); i++)
            printf("  %s %s\n", PQgetvalue(result, i, 6), PQgetvalue(result, i, 7));
    }
    PQclear(result);
    kc_db_disconnect(&conn);
    return rc;
}

int kcctl_eligible(kcctl_t *self)
{
    if (self->positional_count == 2 && strcmp(self->positional[0], "show") == 0)
        return s_show(self, self->positional[1]);
    if (self->positional_count == 3 && strcmp(self->positional[0], "load") == 0)
        return s_load(self, self->positional[1], self->positional[2]);
    return s_usage();
}
