/*  migrate_files: the migration files of deploy/sql/, found, named, read
 *  and summed.
 *
 *  A migration is a file NNNN_<name>.sql: four digits from 0001, '_', then
 *  a-z, 0-9 and '_'. This part lists the directory (ignoring other files,
 *  but not a *.sql that breaks the pattern, nor two files of one version),
 *  reads a file whole (at most 16 MiB: bulk data belongs in a CSV file
 *  loaded by a kc:copy directive; no NUL byte) and computes its checksum,
 *  the SHA-256 of its bytes, which it asks of the server so the runner
 *  needs no hash code of its own. migrate.c decides what to do with them;
 *  the shared types are in migrate_internal.h.
 */
#include "kcctl/migrate_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIGRATE_FILE_MAX  (16L * 1024 * 1024) /* bigger belongs in a CSV file */
#define MIGRATE_BYTEA_OID 17                  /* pg_type oid of bytea */

/* Grow an array by doubling; out of memory is not an error kcctl can answer. */
static void *s_grow(void *items, size_t *capacity, size_t item_size)
{
    size_t wanted = *capacity ? *capacity * 2 : 16;
    void *grown = realloc(items, wanted * item_size);
    if (!grown)
        abort();
    *capacity = wanted;
    return grown;
}

/* "<dir>/<name><suffix>" into out; an error if it does not fit. */
int migrate_files_join(migrate_run_t *self, char *out, size_t size, const char *dir,
                       const char *name, const char *suffix)
{
    int written = snprintf(out, size, "%s/%s%s", dir, name, suffix);
    if (written < 0 || (size_t)written >= size)
        return kc_error_set(self->error, KC_ERR_CONFIG, NULL, "path '%s/%s%s' is too long", dir,
                            name, suffix);
    return 0;
}

/* Parse "NNNN_<name>.sql" (version 0001..9999, name of a-z 0-9 _). */
static int s_parse_file_name(const char *entry, migrate_file_t *file)
{
    size_t length = strlen(entry);
    if (length < 10 || length - 4 >= MIGRATE_NAME_MAX || strcmp(entry + length - 4, ".sql") != 0)
        return -1;
    int version = 0;
    for (size_t i = 0; i < 4; i++) {
        if (entry[i] < '0' || entry[i] > '9')
            return -1;
        version = version * 10 + (entry[i] - '0');
    }
    if (version == 0 || entry[4] != '_')
        return -1;
    for (size_t i = 5; i < length - 4; i++) {
        char c = entry[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return -1;
    }
    file->version = version;
    memcpy(file->name, entry, length - 4);
    file->name[length - 4] = '\0';
    return 0;
}

static int s_compare_files(const void *left, const void *right)
{
    const migrate_file_t *a = left, *b = right;
    if (a->version != b->version)
        return (a->version > b->version) - (a->version < b->version);
    return strcmp(a->name, b->name); /* so a clash is reported the same way every time */
}

/* The migrations of sql_dir, sorted by version; *files is the caller's to
 * free on every path. Other files are ignored, but not a misnamed *.sql. */
int migrate_files_list(migrate_run_t *self, migrate_file_t **files, size_t *count)
{
    int rc = -1;
    size_t capacity = 0;
    DIR *dir = opendir(self->sql_dir);
    if (!dir) {
        kc_error_set(self->error, KC_ERR_CONFIG, NULL, "cannot open migration directory '%s'",
                     self->sql_dir);
        kc_error_detail(self->error, "%s", strerror(errno));
        return -1;
    }
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        const char *name = entry->d_name;
        size_t length = strlen(name);
        if (name[0] == '.' || length < 4 || strcmp(name + length - 4, ".sql") != 0)
            continue;
        if (*count == capacity)
            *files = s_grow(*files, &capacity, sizeof **files);
        if (s_parse_file_name(name, &(*files)[*count]) < 0) {
            kc_error_set(self->error, KC_ERR_CONFIG, NULL,
                         "migration file name '%s' is not NNNN_name.sql", name);
            kc_error_hint(self->error, "four digits from 0001, '_', then a-z, 0-9 and '_'");
            goto out;
        }
        (*count)++;
    }
    if (*count > 1)
        qsort(*files, *count, sizeof **files, s_compare_files);
    for (size_t i = 1; i < *count; i++)
        if ((*files)[i].version == (*files)[i - 1].version) {
            kc_error_set(self->error, KC_ERR_CONFIG, NULL,
                         "migrations '%s.sql' and '%s.sql' share version %d", (*files)[i - 1].name,
                         (*files)[i].name, (*files)[i].version);
            goto out;
        }
    rc = 0;
out:
    closedir(dir);
    return rc;
}

/* The whole of a migration file, NUL-terminated; *text is the caller's to free. */
int migrate_files_read(migrate_run_t *self, const migrate_file_t *file, char **text, size_t *length)
{
    int rc = -1;
    char path[PATH_MAX];
    FILE *stream = NULL;
    struct stat info;

    if (migrate_files_join(self, path, sizeof path, self->sql_dir, file->name, ".sql") < 0)
        goto out;
    stream = fopen(path, "rb");
    if (!stream || fstat(fileno(stream), &info) != 0 || !S_ISREG(info.st_mode)) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL, "cannot open migration '%s.sql'", file->name);
        kc_error_detail(self->error, "%s: %s", path,
                        stream ? "not a regular file" : strerror(errno));
        goto out;
    }
    if (info.st_size > MIGRATE_FILE_MAX) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL, "migration '%s.sql' is larger than 16 MiB",
                     file->name);
        kc_error_hint(self->error, "load bulk data from a CSV file with a kc:copy directive");
        goto out;
    }
    *length = (size_t)info.st_size;
    *text = malloc(*length + 1);
    if (!*text)
        abort();
    if (fread(*text, 1, *length, stream) != *length) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL, "cannot read migration '%s.sql'", file->name);
        kc_error_detail(self->error, "%s: %s", path,
                        ferror(stream) ? strerror(errno) : "short read");
        goto out;
    }
    (*text)[*length] = '\0';
    if (memchr(*text, '\0', *length)) {
        kc_error_set(self->error, KC_ERR_INPUT, NULL, "migration '%s.sql' contains a NUL byte",
                     file->name);
        goto out;
    }
    rc = 0;
out:
    if (stream)
        fclose(stream);
    return rc;
}

/* SHA-256 of the bytes, as 64 lower-case hex digits, computed by the server. */
int migrate_files_checksum(migrate_run_t *self, const char *text, size_t length,
                           char out[MIGRATE_HASH_SIZE])
{
    const Oid types[1] = {MIGRATE_BYTEA_OID};
    const char *const values[1] = {text};
    const int lengths[1] = {(int)length};
    const int formats[1] = {1}; /* binary: the bytes as they are, no escaping */
    PGresult *res = PQexecParams(self->conn, "SELECT encode(sha256($1), 'hex')", 1, types, values,
                                 lengths, formats, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        migrate_fail_pg(self, res, "checksum of migration '%s' failed", self->file);
        PQclear(res);
        return -1;
    }
    snprintf(out, MIGRATE_HASH_SIZE, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}
