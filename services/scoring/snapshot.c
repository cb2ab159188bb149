/*  snapshot: the exact input of one scoring run, written and read as
 *  canonical text (format in snapshot.h).
 *
 *  The writer is the only producer of the text that is hashed, so two
 *  runs over the same values always hash alike; the reader is strict (a
 *  line out of place is an error, never skipped) because a stored
 *  snapshot that reads back differently would break reproducibility
 *  silently. For the same reason a field too long for its slot is an
 *  error (never cut), a value must be finite (a NaN would not keep its
 *  bits), and the years must ascend up to the year scored, which is one of
 *  the methodology's years, as scoring_db_read_snapshot reads them (the
 *  history before it may start earlier, with the methodology's framework).
 */
#include "scoring/snapshot.h"

#include "scoring/periods.h"
#include "scoring/text_buffer.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPSHOT_MAGIC "kechuang-scoring-input 1"

/* OpenSSL's SHA-256 uses the CPU's SHA instructions where there are
 * some: about 3 ms for a country's 5 MB, four times a portable SHA-256. */
void snapshot_sha256(const void *bytes, size_t size, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_Digest(bytes, size, digest, &length, EVP_sha256(), NULL) || length != 32)
        abort(); /* only without memory */
    for (unsigned int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

void snapshot_year_init(sc_year_input_t *year, int evaluation_year, size_t n_counties,
                        size_t n_inputs)
{
    memset(year, 0, sizeof *year);
    year->year = evaluation_year;
    year->n_counties = n_counties;
    year->counties = calloc(n_counties ? n_counties : 1, sizeof *year->counties);
    year->values = calloc(n_counties * n_inputs + 1, sizeof *year->values);
    year->present = calloc(n_counties * n_inputs + 1, 1);
    if (!year->counties || !year->values || !year->present)
        abort();
}

void snapshot_release(sc_snapshot_t *self)
{
    for (size_t i = 0; i < self->n_years; i++) {
        free(self->years[i].counties);
        free(self->years[i].values);
        free(self->years[i].present);
    }
    free(self->years);
    self->years = NULL;
    self->n_years = 0;
}

void snapshot_scope_prefix(const char *scope_code, char prefix[7])
{
    size_t length = 6;
    if (strcmp(scope_code, "000000") == 0)
        length = 0;
    else if (strcmp(scope_code + 2, "0000") == 0)
        length = 2;
    else if (strcmp(scope_code + 4, "00") == 0)
        length = 4;
    memcpy(prefix, scope_code, length);
    prefix[length] = '\0';
}

void snapshot_evaluation_prefix(const char *scope_code, char prefix[7])
{
    snapshot_scope_prefix(scope_code, prefix);
    if (strlen(prefix) > 2)
        prefix[2] = '\0';
}

int snapshot_write(const sc_methodology_t *m, const sc_snapshot_t *self, char **text, size_t *size,
                   kc_error_t *error)
{
    if (strpbrk(self->scope_name, "\t\n"))
        return kc_error_set(error, KC_ERR_INTERNAL, "scope.name",
                            "scope name of '%s' holds a tab or a newline", self->scope_code);
    text_buffer_t out = {NULL, 0, 0};
    text_buffer_append(&out, "%s\nscope\t%s\t%s\nyear\t%d\n", SNAPSHOT_MAGIC, self->scope_code,
                       self->scope_name, self->year);
    text_buffer_append(&out, "methodology\t%s\t%s\npolicy\t%s\t%s\ninputs", self->methodology_code,
                       self->methodology_sha256, self->policy_code, self->policy_sha256);
    for (size_t i = 0; i < m->n_inputs; i++)
        text_buffer_append(&out, "\t%s", m->inputs[i]);
    text_buffer_append(&out, "\n");
    for (size_t y = 0; y < self->n_years; y++) {
        const sc_year_input_t *year = &self->years[y];
        text_buffer_append(&out, "Y\t%d\t%zu\n", year->year, year->n_counties);
        for (size_t c = 0; c < year->n_counties; c++) {
            const sc_county_t *county = &year->counties[c];
            if (strchr(county->name, '\t') || strchr(county->city_name, '\t') ||
                strchr(county->name, '\n') || strchr(county->city_name, '\n')) {
                text_buffer_release(&out);
                return kc_error_set(error, KC_ERR_INTERNAL, "county.name",
                                    "county name of '%s' holds a tab or a newline", county->code);
            }
            text_buffer_append(&out, "C\t%s\t%s\t%s\t%s", county->code, county->name,
                               county->city_code, county->city_name);
            for (size_t i = 0; i < m->n_inputs; i++) {
                size_t at = c * m->n_inputs + i;
                text_buffer_append(&out, year->present[at] ? "\t" : "\t-");
                if (year->present[at])
                    text_buffer_append_double(&out, year->values[at]); /* as "%.17g" */
            }
            text_buffer_append(&out, "\n");
        }
    }
    *text = text_buffer_take(&out, size);
    return 0;
}

/* A cursor over the text, one line at a time, split at tabs. */
typedef struct {
    const char *at;
    const char *end;
    int line;
    char *fields[SC_MAX_INPUTS + 8];
    size_t n_fields;
    char copy[4096];
} s_reader_t;

static int s_next_line(s_reader_t *reader, kc_error_t *error)
{
    if (reader->at >= reader->end)
        return kc_error_set(error, KC_ERR_INPUT, "snapshot", "snapshot ends early at line %d",
                            reader->line + 1);
    const char *newline = memchr(reader->at, '\n', (size_t)(reader->end - reader->at));
    size_t length = newline ? (size_t)(newline - reader->at) : (size_t)(reader->end - reader->at);
    reader->line++;
    if (length >= sizeof reader->copy)
        return kc_error_set(error, KC_ERR_INPUT, "snapshot", "snapshot line %d is too long",
                            reader->line);
    memcpy(reader->copy, reader->at, length);
    reader->copy[length] = '\0';
    reader->at += length + (newline ? 1 : 0);
    reader->n_fields = 0;
    char *field = reader->copy;
    for (;;) {
        if (reader->n_fields == sizeof reader->fields / sizeof reader->fields[0])
            return kc_error_set(error, KC_ERR_INPUT, "snapshot",
                                "snapshot line %d has too many fields", reader->line);
        reader->fields[reader->n_fields++] = field;
        char *tab = strchr(field, '\t');
        if (!tab)
            break;
        *tab = '\0';
        field = tab + 1;
    }
    return 0;
}

static int s_expect(s_reader_t *reader, const char *tag, size_t fields, kc_error_t *error)
{
    if (s_next_line(reader, error))
        return -1;
    if (strcmp(reader->fields[0], tag) != 0 || reader->n_fields != fields)
        return kc_error_set(error, KC_ERR_INPUT, "snapshot",
                            "snapshot line %d is not a '%s' line of %zu fields", reader->line, tag,
                            fields);
    return 0;
}

/* A field into its fixed-size slot; one that does not fit is an error,
 * never cut, since a cut code would name another county or run. */
static int s_copy(s_reader_t *reader, char *out, size_t size, size_t field, kc_error_t *error)
{
    const char *text = reader->fields[field];
    size_t length = strlen(text);
    if (length >= size)
        return kc_error_set(error, KC_ERR_INPUT, "snapshot",
                            "snapshot line %d: field %zu is %zu bytes, at most %zu", reader->line,
                            field + 1, length, size - 1);
    memcpy(out, text, length + 1);
    return 0;
}

static int s_number(const char *text, long long *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtoll(text, &end, 10);
    return errno || end == text || *end ? -1 : 0;
}

static int s_read_header(const sc_methodology_t *m, s_reader_t *reader, sc_snapshot_t *out,
                         kc_error_t *error)
{
    long long year = 0;
    if (s_next_line(reader, error))
        return -1;
    if (strcmp(reader->copy, SNAPSHOT_MAGIC) != 0)
        return kc_error_set(error, KC_ERR_INPUT, "snapshot", "not a kechuang scoring snapshot");
    if (s_expect(reader, "scope", 3, error) ||
        s_copy(reader, out->scope_code, sizeof out->scope_code, 1, error) ||
        s_copy(reader, out->scope_name, sizeof out->scope_name, 2, error))
        return -1;
    if (s_expect(reader, "year", 2, error))
        return -1;
    /* A run scores a year of its methodology (scoring_db_read_snapshot). */
    char years[16];
    periods_format(m->first_year, m->last_year, years, sizeof years);
    if (s_number(reader->fields[1], &year) || year < m->first_year || year > m->last_year)
        return kc_error_set(error, KC_ERR_INPUT, "snapshot",
                            "snapshot year '%s' is not a year of methodology '%s' (%s)",
                            reader->fields[1], m->code, years);
    out->year = (int)year;
    if (s_expect(reader, "methodology", 3, error) ||
        s_copy(reader, out->methodology_code, sizeof out->methodology_code, 1, error) ||
        s_copy(reader, out->methodology_sha256, sizeof out->methodology_sha256, 2, error))
        return -1;
    if (s_expect(reader, "policy", 3, error) ||
        s_copy(reader, out->policy_code, sizeof out->policy_code, 1, error) ||
        s_copy(reader, out->policy_sha256, sizeof out->policy_sha256, 2, error))
        return -1;
    if (s_expect(reader, "inputs", m->n_inputs + 1, error))
        return -1;
    for (size_t i = 0; i < m->n_inputs; i++)
        if (strcmp(reader->fields[i + 1], m->inputs[i]) != 0)
            return kc_error_set(error, KC_ERR_INPUT, "snapshot",
                                "snapshot input %zu is '%s', the methodology reads '%s'", i + 1,
                                reader->fields[i + 1], m->inputs[i]);
    return 0;
}

static int s_read_county(const sc_methodology_t *m, s_reader_t *reader, sc_year_input_t *year,
                         size_t c, kc_error_t *error)
{
    if (s_expect(reader, "C", 5 + m->n_inputs, error))
        return -1;
    sc_county_t *county = &year->counties[c];
    if (s_copy(reader, county->code, sizeof county->code, 1, error) ||
        s_copy(reader, county->name, sizeof county->name, 2, error) ||
        s_copy(reader, county->city_code, sizeof county->city_code, 3, error) ||
        s_copy(reader, county->city_name, sizeof county->city_name, 4, error))
        return -1;
    for (size_t i = 0; i < m->n_inputs; i++) {
        const char *text = reader->fields[5 + i];
        if (strcmp(text, "-") == 0)
            continue;
        char *end = NULL;
        double value = strtod(text, &end);
        /* Submitted values are finite; a NaN would not even keep its bits
         * through %.17g ("nan(0x5)" is written back as "nan"). */
        if (end == text || *end || !isfinite(value))
            return kc_error_set(error, KC_ERR_INPUT, "snapshot",
                                "snapshot line %d: bad number '%s'", reader->line, text);
        year->values[c * m->n_inputs + i] = value;
        year->present[c * m->n_inputs + i] = 1;
    }
    return 0;
}

/* A "Y" line: the year, after the one before and not past the year
 * scored, and a count of counties whose lines the rest of the text can
 * hold (each is "C", four tab-led names, maybe empty, a tab-led value or
 * "-" per input, then a newline), so a stray count cannot make the
 * reader allocate gigabytes. */
static int s_read_year_line(const sc_methodology_t *m, s_reader_t *reader, const sc_snapshot_t *out,
                            long long *year, size_t *counties, kc_error_t *error)
{
    long long count = 0;
    if (s_expect(reader, "Y", 3, error))
        return -1;
    /* history may start before the methodology's first year: its framework's */
    int after = out->n_years ? out->years[out->n_years - 1].year : PERIODS_YEAR_MIN - 1;
    if (s_number(reader->fields[1], year) || *year <= after || *year > out->year)
        return kc_error_set(error, KC_ERR_INPUT, "snapshot",
                            "snapshot line %d: year '%s' is not after %d and at most %d",
                            reader->line, reader->fields[1], after, out->year);
    size_t line_min = 1 + 4 + 2 * m->n_inputs;
    size_t left = (size_t)(reader->end - reader->at);
    if (s_number(reader->fields[2], &count) || count < 0 ||
        (unsigned long long)count > (left + 1) / (line_min + 1))
        return kc_error_set(error, KC_ERR_INPUT, "snapshot",
                            "snapshot line %d: '%s' counties do not fit in the rest of the text",
                            reader->line, reader->fields[2]);
    *counties = (size_t)count;
    return 0;
}

int snapshot_read(const sc_methodology_t *m, const char *text, size_t size, sc_snapshot_t *out,
                  kc_error_t *error)
{
    memset(out, 0, sizeof *out);
    if (memchr(text, '\0', size))
        return kc_error_set(error, KC_ERR_INPUT, "snapshot", "snapshot contains a NUL byte");
    s_reader_t reader = {.at = text, .end = text + size};
    if (s_read_header(m, &reader, out, error))
        return -1;
    size_t capacity = 0;
    while (reader.at < reader.end) {
        long long year = 0;
        size_t counties = 0;
        if (s_read_year_line(m, &reader, out, &year, &counties, error)) {
            snapshot_release(out);
            return -1;
        }
        if (out->n_years == capacity) {
            capacity = capacity * 2 + 4;
            out->years = realloc(out->years, capacity * sizeof *out->years);
            if (!out->years)
                abort();
        }
        sc_year_input_t *entry = &out->years[out->n_years++];
        snapshot_year_init(entry, (int)year, counties, m->n_inputs);
        for (size_t c = 0; c < counties; c++)
            if (s_read_county(m, &reader, entry, c, error)) {
                snapshot_release(out);
                return -1;
            }
    }
    if (out->n_years == 0 || out->years[out->n_years - 1].year != out->year) {
        snapshot_release(out);
        return kc_error_set(error, KC_ERR_INPUT, "snapshot", "snapshot has no data for year %d",
                            out->year);
    }
    return 0;
}
