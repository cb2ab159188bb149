/*  rewards_policy: reads a leap-reward policy file into sc_reward_policy_t.
 *
 *  The file (deploy/scoring/rewards-*.ini, documented in
 *  deploy/scoring/README-rewards.md) has three sections: [policy] names it
 *  and states its years (periods.h), [rewards] holds the amounts of seed 002 §七(三) in 万元 with
 * the years, places and steps they hang on, and [options] the points the seed leaves open. Every
 * key the parser knows is a row of s_keys, so the table is the file's grammar: its section, name,
 * kind, where it lands, its bounds and whether it must be present. Money is never defaulted: the
 * amounts, the steps and the cap must all be written down; the options fall back to the defaults
 * declared in rewards.h.
 *
 *  Nothing stops at the first problem: unknown keys, bad values, missing
 *  keys and a step order that makes no sense all go into the caller's
 *  kc_errors_t with a "section.key" field path, so whoever edits the file
 *  sees everything wrong with it at once.
 *
 *  libinih reads at most 199 bytes a line and reads the rest as a line of
 *  its own, so the tail of a long comment ("...; cap = 5000") would set a
 *  key nobody sees. Lines over S_LINE_MAX bytes are therefore reported and
 *  the file is not handed to libinih at all (the methodology's reader
 *  does the same).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "kc/kc_check.h"
#include "scoring/periods.h"
#include "scoring/rewards.h"

/* The largest amount a file may state, in 万元: far above any real award,
 * and small enough that a year's sum of awards cannot overflow an int. */
#define S_AMOUNT_MAX 1000000

/* Bytes a line may hold: libinih reads 199 with its newline (README-rewards.md). */
#define S_LINE_MAX 196

typedef enum {
    S_KIND_TEXT,          /* a string copied into a fixed buffer */
    S_KIND_INT,           /* a decimal integer within [min, max] */
    S_KIND_BOOL,          /* true or false */
    S_KIND_C_TO_A,        /* sc_c_to_a_rule_t by name */
    S_KIND_RANK_WHEN,     /* sc_rank_reward_rule_t by name */
    S_KIND_RELEAP,        /* sc_releap_rule_t by name */
    S_KIND_RELEAP_RANK,   /* sc_releap_rank_rule_t by name */
    S_KIND_RELEAP_C_TO_A, /* sc_releap_c_to_a_rule_t by name */
    S_KIND_YEARS,         /* a period (periods.h) into first_year and last_year */
} s_kind_t;

typedef struct {
    const char *section;
    const char *name;
    s_kind_t kind;
    size_t offset; /* of the field in sc_reward_policy_t */
    size_t size;   /* of a text field, with its NUL */
    long min, max; /* of an integer */
    bool required;
} s_key_t;

#define S_INT(sec, key, lo, hi)                                                                    \
    {                                                                                              \
        sec, #key, S_KIND_INT, offsetof(sc_reward_policy_t, key), 0, lo, hi, true                  \
    }
#define S_OPTION(key, kind)                                                                        \
    {                                                                                              \
        "options", #key, kind, offsetof(sc_reward_policy_t, key), 0, 0, 0, false                   \
    }

static const s_key_t s_keys[] = {
    {"policy", "code", S_KIND_TEXT, offsetof(sc_reward_policy_t, code),
     sizeof(((sc_reward_policy_t *)0)->code), 0, 0, true},
    {"policy", "title", S_KIND_TEXT, offsetof(sc_reward_policy_t, title_zh),
     sizeof(((sc_reward_policy_t *)0)->title_zh), 0, 0, false},
    {"policy", "years", S_KIND_YEARS, offsetof(sc_reward_policy_t, first_year), 0, 0, 0, false},
    S_INT("rewards", baseline_year, 1900, 9999),
    S_INT("rewards", amount_baseline_a, 0, S_AMOUNT_MAX),
    S_INT("rewards", amount_top3_a, 0, S_AMOUNT_MAX),
    S_INT("rewards", top_n, 1, 1000),
    S_INT("rewards", amount_b_to_a, 0, S_AMOUNT_MAX),
    S_INT("rewards", amount_c_to_b, 0, S_AMOUNT_MAX),
    S_INT("rewards", amount_rank_10, 0, S_AMOUNT_MAX),
    S_INT("rewards", amount_rank_5, 0, S_AMOUNT_MAX),
    S_INT("rewards", rank_big_step, 1, 10000),
    S_INT("rewards", rank_small_step, 1, 10000),
    S_INT("rewards", cap, 0, S_AMOUNT_MAX),
    S_OPTION(top_ties_share, S_KIND_BOOL),
    S_OPTION(c_to_a, S_KIND_C_TO_A),
    S_OPTION(rank_when, S_KIND_RANK_WHEN),
    S_OPTION(releap, S_KIND_RELEAP),
    S_OPTION(releap_rank, S_KIND_RELEAP_RANK),
    S_OPTION(releap_c_to_a, S_KIND_RELEAP_C_TO_A),
    S_OPTION(new_county_compared, S_KIND_BOOL),
};

#define S_N_KEYS (sizeof s_keys / sizeof s_keys[0])

/* Names of the enumerated options, in enum order. */
static const char *const s_c_to_a_names[] = {"leap_to_a", "both", "none", NULL};
static const char *const s_rank_when_names[] = {"class_unchanged", "no_leap", "always", NULL};
static const char *const s_releap_names[] = {"ever_held", "leapt_before", "held_or_higher", NULL};
static const char *const s_releap_rank_names[] = {"withheld", "paid", NULL};
static const char *const s_releap_c_to_a_names[] = {"whole", "parts", NULL};

typedef struct {
    sc_reward_policy_t *policy;
    kc_errors_t *errors;
    bool seen[S_N_KEYS]; /* to report duplicates and missing keys */
} s_parse_t;

static void s_path(char *out, size_t size, const char *section, const char *name)
{
    if (*section)
        snprintf(out, size, "%s.%s", section, name);
    else
        snprintf(out, size, "%s", name);
}

static void s_set_int(s_parse_t *self, const s_key_t *key, const char *path, const char *value)
{
    char *end = NULL;
    errno = 0;
    long number = strtol(value, &end, 10);
    if (!*value || *end || errno == ERANGE) {
        kc_errors_add(self->errors, KC_ERR_INVALID_FORMAT, path, "'%s' is not an integer", value);
        return;
    }
    if (number < key->min || number > key->max) {
        kc_error_t *e = kc_errors_add(self->errors, KC_ERR_OUT_OF_RANGE, path,
                                      "%ld is out of range %ld..%ld", number, key->min, key->max);
        if (e && number < 0)
            kc_error_hint(e, "amounts are whole 万元 and never negative");
        return;
    }
    *(int *)((char *)self->policy + key->offset) = (int)number;
}

static void s_set_text(s_parse_t *self, const s_key_t *key, const char *path, const char *value)
{
    size_t length = strlen(value);
    if (length == 0) {
        kc_errors_add(self->errors, KC_ERR_REQUIRED, path, "'%s' is empty", key->name);
        return;
    }
    if (length >= key->size) {
        kc_errors_add(self->errors, KC_ERR_TOO_LONG, path, "%zu bytes, at most %zu", length,
                      key->size - 1);
        return;
    }
    if (kc_utf8_length(value) < 0) {
        kc_errors_add(self->errors, KC_ERR_INVALID_UTF8, path, "'%s' is not valid UTF-8",
                      key->name);
        return;
    }
    /* The code goes into the tab-separated snapshot of every run (snapshot.h). */
    if (key->offset == offsetof(sc_reward_policy_t, code) &&
        strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-._") != length) {
        kc_errors_add(self->errors, KC_ERR_INVALID_FORMAT, path,
                      "code '%s' may hold only lower-case letters, digits, '-', '.' and '_'",
                      value);
        return;
    }
    memcpy((char *)self->policy + key->offset, value, length + 1);
}

/* An enumerated option by name; also reads booleans (false, true). */
static void s_set_choice(s_parse_t *self, const s_key_t *key, const char *path, const char *value,
                         const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        if (strcmp(value, names[i]) != 0)
            continue;
        if (key->kind == S_KIND_BOOL)
            *(bool *)((char *)self->policy + key->offset) = i == 1;
        else
            *(int *)((char *)self->policy + key->offset) = i;
        return;
    }
    char expected[96] = "";
    size_t used = 0;
    for (int i = 0; names[i] && used < sizeof expected; i++)
        used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s", i ? ", " : "",
                                 names[i]);
    kc_error_t *e =
        kc_errors_add(self->errors, KC_ERR_INVALID_FORMAT, path, "unknown value '%s'", value);
    if (e)
        kc_error_hint(e, "one of: %s", expected);
}

/* The policy's years; an end before the start is refused here. */
static void s_set_years(s_parse_t *self, const char *path, const char *value)
{
    sc_reward_policy_t *p = self->policy;
    if (periods_parse(value, &p->first_year, &p->last_year)) {
        kc_error_t *e = kc_errors_add(self->errors, KC_ERR_INVALID_FORMAT, path,
                                      "years '%s' are not YYYY-, YYYY-YYYY or YYYY", value);
        if (e)
            kc_error_hint(e, "'2019-': from 2019 until a policy from a later year replaces it");
    } else if (p->last_year < p->first_year) {
        kc_errors_add(self->errors, KC_ERR_YEAR_OUT_OF_RANGE, path,
                      "years out of order: %d comes after %d", p->first_year, p->last_year);
    }
}

static const s_key_t *s_find(const char *section, const char *name, size_t *index)
{
    for (size_t i = 0; i < S_N_KEYS; i++) {
        if (strcmp(s_keys[i].section, section) == 0 && strcmp(s_keys[i].name, name) == 0) {
            *index = i;
            return &s_keys[i];
        }
    }
    return NULL;
}

/* libinih's callback: always 1, since errors are collected, not fatal. */
static int s_on_entry(void *user, const char *section, const char *name, const char *value)
{
    static const char *const s_bool_names[] = {"false", "true", NULL};
    s_parse_t *self = user;
    char path[KC_ERROR_FIELD_MAX];
    s_path(path, sizeof path, section, name);
    size_t index = 0;
    const s_key_t *key = s_find(section, name, &index);
    if (!key) {
        kc_error_t *e = kc_errors_add(self->errors, KC_ERR_INPUT, path, "unknown key '%s'", path);
        if (e)
            kc_error_hint(e, "see deploy/scoring/README-rewards.md for the keys of a policy");
        return 1;
    }
    if (self->seen[index]) {
        kc_errors_add(self->errors, KC_ERR_INPUT, path, "key '%s' given twice", path);
        return 1;
    }
    self->seen[index] = true;
    switch (key->kind) {
    case S_KIND_TEXT:
        s_set_text(self, key, path, value);
        break;
    case S_KIND_INT:
        s_set_int(self, key, path, value);
        break;
    case S_KIND_BOOL:
        s_set_choice(self, key, path, value, s_bool_names);
        break;
    case S_KIND_C_TO_A:
        s_set_choice(self, key, path, value, s_c_to_a_names);
        break;
    case S_KIND_RANK_WHEN:
        s_set_choice(self, key, path, value, s_rank_when_names);
        break;
    case S_KIND_RELEAP:
        s_set_choice(self, key, path, value, s_releap_names);
        break;
    case S_KIND_RELEAP_RANK:
        s_set_choice(self, key, path, value, s_releap_rank_names);
        break;
    case S_KIND_RELEAP_C_TO_A:
        s_set_choice(self, key, path, value, s_releap_c_to_a_names);
        break;
    case S_KIND_YEARS:
        s_set_years(self, path, value);
        break;
    }
    return 1;
}

/* What no single key can check: presence and the order of the steps. */
static void s_check_whole(s_parse_t *self)
{
    char path[KC_ERROR_FIELD_MAX];
    for (size_t i = 0; i < S_N_KEYS; i++) {
        if (!s_keys[i].required || self->seen[i])
            continue;
        s_path(path, sizeof path, s_keys[i].section, s_keys[i].name);
        kc_errors_add(self->errors, KC_ERR_REQUIRED, path, "missing key '%s'", path);
    }
    sc_reward_policy_t *p = self->policy;
    if (!p->first_year) { /* no years: in force from the baseline year, as before they existed */
        p->first_year = p->baseline_year;
        p->last_year = PERIODS_OPEN;
    }
    if (p->rank_small_step >= 1 && p->rank_big_step >= 1 && p->rank_small_step >= p->rank_big_step)
        kc_errors_add(self->errors, KC_ERR_OUT_OF_RANGE, "rewards.rank_small_step",
                      "rank_small_step %d must be below rank_big_step %d", p->rank_small_step,
                      p->rank_big_step);
}

/* Lines libinih would cut, each reported; the number of them. */
static size_t s_check_lines(const char *text, size_t size, kc_errors_t *errors)
{
    size_t found = 0;
    size_t at = size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* libinih skips a BOM */
    for (int number = 1; at < size; number++) {
        const char *newline = memchr(text + at, '\n', size - at);
        size_t length = newline ? (size_t)(newline - (text + at)) : size - at;
        if (length > S_LINE_MAX) {
            found++;
            kc_error_t *e =
                kc_errors_add(errors, KC_ERR_TOO_LONG, NULL,
                              "line %d is %zu bytes long, at most %d", number, length, S_LINE_MAX);
            if (e)
                kc_error_hint(e, "split the comment or shorten the value (a Chinese character "
                                 "takes 3 bytes)");
        }
        at += length + 1;
    }
    return found;
}

static void s_defaults(sc_reward_policy_t *out)
{
    memset(out, 0, sizeof *out);
    out->top_ties_share = true;
    out->c_to_a = SC_C_TO_A_LEAP_TO_A;
    out->rank_when = SC_RANK_WHEN_CLASS_UNCHANGED;
    out->releap = SC_RELEAP_EVER_HELD;
    out->releap_rank = SC_RELEAP_RANK_WITHHELD;
    out->releap_c_to_a = SC_RELEAP_C_TO_A_WHOLE;
    out->new_county_compared = false;
}

int rewards_parse(const char *text, size_t size, sc_reward_policy_t *out, kc_errors_t *errors)
{
    size_t before = errors->total;
    s_defaults(out);
    if (!text || size == 0) {
        kc_errors_add(errors, KC_ERR_REQUIRED, NULL, "empty reward policy");
        return -1;
    }
    if (memchr(text, '\0', size)) {
        kc_errors_add(errors, KC_ERR_INPUT, NULL, "reward policy contains a NUL byte");
        return -1;
    }
    if (s_check_lines(text, size, errors) > 0)
        return -1;
    /* libinih reads a NUL-terminated string; the caller's text need not be. */
    char *copy = malloc(size + 1);
    if (!copy) {
        kc_errors_add(errors, KC_ERR_INTERNAL, NULL, "out of memory reading the reward policy");
        return -1;
    }
    memcpy(copy, text, size);
    copy[size] = '\0';
    s_parse_t parse = {.policy = out, .errors = errors};
    int line = ini_parse_string(copy, s_on_entry, &parse);
    free(copy);
    if (line > 0) {
        kc_error_t *e = kc_errors_add(errors, KC_ERR_INPUT, NULL,
                                      "syntax error on line %d of the policy", line);
        if (e)
            kc_error_hint(e, "each line is '[section]', 'key = value' or a '; comment' "
                             "of at most 197 bytes");
    } else if (line < 0) {
        kc_errors_add(errors, KC_ERR_INTERNAL, NULL, "libinih could not read the policy");
    }
    s_check_whole(&parse);
    return errors->total == before ? 0 : -1;
}
