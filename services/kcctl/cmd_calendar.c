/*  cmd_calendar: the working-day calendar of the node.
 *
 *    kcctl calendar check FILE.csv
 *    kcctl calendar load FILE.csv --notice TITLE --issued YYYY-MM-DD
 *    kcctl calendar show YEAR
 *
 *  check reads a year's holiday notice as transcribed (format in
 *  deploy/data/calendar/README.md) without a database and lists every
 *  problem with its line; a year is accepted only complete against the
 *  statutory holidays (kc_calendar.h). load does the same, then stores
 *  each year as the version in force with the notice's title and date,
 *  audited; every kc-workflow of the node takes it at once, and the node's
 *  children receive it over the link. show prints a year as kc-workflow
 *  counts it: official (the notice, its version) or provisional.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/kc_audit.h"
#include "kc/kc_calendar_db.h"
#include "kc/kc_check.h"
#include "kc/kc_db.h"
#include "kcctl/kcctl.h"

static const char *const s_weekdays[7] = {"日", "一", "二", "三", "四", "五", "六"};

static int s_usage(void)
{
    fprintf(stderr, "usage: kcctl calendar check FILE.csv\n"
                    "       kcctl calendar load FILE.csv --notice TITLE --issued YYYY-MM-DD\n"
                    "       kcctl calendar show YEAR\n");
    return -1;
}

static void s_print_year(const kc_calendar_year_t *year)
{
    int holidays = 0, workdays = 0;
    for (size_t i = 0; i < year->count; i++) {
        const kc_calendar_day_t *day = &year->days[i];
        bool off = day->kind == KC_CALENDAR_HOLIDAY;
        holidays += off;
        workdays += !off;
        printf("  %04d-%02d-%02d 星期%s  %s  %s\n", day->date / 10000, day->date / 100 % 100,
               day->date % 100, s_weekdays[kc_calendar_weekday_of(day->date)],
               off ? "放假    " : "调休上班", day->name);
    }
    printf("  %d 个工作日放假，%d 个周末调休上班\n", holidays, workdays);
}

static kc_calendar_t *s_parse_file(const char *path, kc_calendar_t *calendar)
{
    size_t size = 0;
    char *text = kcctl_read_small_file(path, &size);
    if (!text)
        return NULL;
    kc_errors_t errors;
    kc_errors_init(&errors);
    int rc = kc_calendar_parse(calendar, text, size, &errors);
    free(text);
    if (rc) {
        char intro[600];
        snprintf(intro, sizeof intro, "refused: %s", path);
        kcctl_print_file_errors(intro, "stored", &errors);
    }
    kc_errors_release(&errors);
    return rc ? NULL : calendar;
}

/* "YYYY-MM-DD" into yyyymmdd, or -1. */
static int s_issued(const char *text)
{
    int date = kc_calendar_parse_date(text);
    return date >= 20000101 ? date : -1;
}

static int s_store(kcctl_t *self, PGconn *conn, kc_calendar_year_t *year, kc_error_t *error)
{
    char by[160], target[16], reason[KC_CALENDAR_NOTICE_BYTES + 64];
    snprintf(by, sizeof by, "%s (%s)", self->user, self->role);
    snprintf(target, sizeof target, "%d", year->year);
    int version = 0;
    if (kc_calendar_db_store(conn, year, by, &version, error))
        return -1;
    if (version == 0) {
        printf("%d年：与现行版本相同，未作改动\n", year->year);
        return 0;
    }
    snprintf(reason, sizeof reason, "%s（%04d-%02d-%02d）第 %d 版", year->notice,
             year->issued / 10000, year->issued / 100 % 100, year->issued % 100, version);
    kc_audit_entry_t entry = {
        self->config.node_id, self->user, self->role, self->division, self->organisation,
        "calendar.load",      target,     true,       reason,         ""};
    if (kc_audit_append(conn, &entry, NULL, error))
        return -1;
    printf("%d年：已载入第 %d 版，依据%s\n", year->year, version, year->notice);
    return 0;
}

static int s_load(kcctl_t *self, kc_calendar_t *calendar)
{
    int issued = s_issued(self->issued);
    long chars = kc_utf8_length(self->notice);
    if (chars < 1 || chars > 128 || issued < 0) {
        fprintf(stderr, "error: calendar load needs --notice (the notice's title and number, 1 to "
                        "128 characters of UTF-8) and --issued YYYY-MM-DD (its date, a real day) "
                        "[validation.required]\n");
        return -1;
    }
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl calendar", &error);
    int rc = conn ? kc_db_exec(conn, "BEGIN", &error) : -1;
    for (size_t i = 0; rc == 0 && i < calendar->count; i++) {
        kc_calendar_year_t *year = &calendar->years[i];
        snprintf(year->notice, sizeof year->notice, "%s", self->notice);
        year->issued = issued;
        rc = s_store(self, conn, year, &error);
    }
    if (rc == 0)
        rc = kc_db_exec(conn, "COMMIT", &error);
    if (rc) {
        kcctl_print_error(&error);
        fprintf(stderr, "nothing was stored\n");
    }
    kc_db_disconnect(&conn);
    return rc;
}

static int s_show(kcctl_t *self, const char *year_text)
{
    char *end = NULL;
    long year = strtol(year_text, &end, 10);
    if (!end || *end || year < KC_CALENDAR_FIRST_YEAR || year > KC_CALENDAR_LAST_YEAR) {
        fprintf(stderr, "error: year '%s' is not in %d..%d [validation.year_out_of_range]\n",
                year_text, KC_CALENDAR_FIRST_YEAR, KC_CALENDAR_LAST_YEAR);
        return -1;
    }
    kc_error_t error;
    kc_calendar_t calendar;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl calendar", &error);
    if (!conn || kc_calendar_db_read(conn, &calendar, &error)) {
        kcctl_print_error(&error);
        kc_db_disconnect(&conn);
        return -1;
    }
    kc_db_disconnect(&conn);
    const kc_calendar_year_t *official = kc_calendar_year(&calendar, (int)year);
    int rc = 0;
    if (official) {
        printf("%ld年：正式（第 %d 版，依据%s，%04d-%02d-%02d 发布）\n", year, official->version,
               official->notice, official->issued / 10000, official->issued / 100 % 100,
               official->issued % 100);
        s_print_year(official);
    } else {
        kc_calendar_year_t made;
        rc = kc_calendar_provisional_year((int)year, &made, &error);
        if (rc == 0) {
            printf("%ld年：临时（%s）：法定节假日逢周末在其后的工作日补假，未计调休\n", year,
                   KC_CALENDAR_PROVISIONAL_NOTE);
            s_print_year(&made);
            kc_calendar_year_release(&made);
        } else {
            kcctl_print_error(&error);
        }
    }
    kc_calendar_release(&calendar);
    return rc;
}

int kcctl_calendar(kcctl_t *self)
{
    if (self->positional_count != 2)
        return s_usage();
    const char *verb = self->positional[0];
    if (strcmp(verb, "show") == 0)
        return s_show(self, self->positional[1]);
    bool load = strcmp(verb, "load") == 0;
    if (!load && strcmp(verb, "check") != 0)
        return s_usage();
    kc_calendar_t calendar;
    if (!s_parse_file(self->positional[1], &calendar))
        return -1;
    for (size_t i = 0; i < calendar.count; i++) {
        printf("%d年：完整\n", calendar.years[i].year);
        if (!load)
            s_print_year(&calendar.years[i]);
    }
    int rc = load ? s_load(self, &calendar) : 0;
    kc_calendar_release(&calendar);
    return rc;
}
