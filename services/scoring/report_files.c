/*  report_files: everything a run publishes, written into one directory
 *  (report_write_all).
 *
 *      index.html             the published result
 *      province.html          the province's annual report
 *      city-<code>.html       one per city with a county scored this year
 *      county-<code>.html     one per county scored this year
 *      *.csv                  every table (report_csv.c)
 *      result.json            the run's canonical JSON, when it has one
 *
 *  The set of files and their order depend only on the run, so writing
 *  the same run twice gives the same directory byte for byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scoring/report.h"
#include "scoring/report_figures.h"

#define S_PATH_MAX 4096

/* What one HTML file shows: the page kind and its subject. */
typedef struct {
    enum { S_RESULT, S_PROVINCE, S_CITY, S_COUNTY } kind;
    const char *city_code; /* S_CITY */
    size_t county;         /* S_COUNTY */
} s_page_t;

/* mkdir -p: every missing component, tolerating ones that exist. */
static int s_make_directory(const char *dir, kc_error_t *error)
{
    char path[S_PATH_MAX];
    size_t length = strlen(dir);
    if (length == 0 || length >= sizeof path) {
        return kc_error_set(error, KC_ERR_INPUT, dir, "invalid output directory '%s'", dir);
    }
    memcpy(path, dir, length + 1);
    for (size_t i = 1; i <= length; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        char saved = path[i];
        path[i] = '\0';
        struct stat info;
        if (mkdir(path, 0755) != 0 &&
            !(errno == EEXIST && stat(path, &info) == 0 && S_ISDIR(info.st_mode))) {
            return kc_error_set(error, KC_ERR_INPUT, path, "cannot create directory '%s': %s", path,
                                errno == EEXIST ? "not a directory" : strerror(errno));
        }
        path[i] = saved;
    }
    return 0;
}

static int s_render_page(const sc_run_t *run, const s_page_t *page, FILE *out)
{
    switch (page->kind) {
    case S_RESULT:
        return report_result_html(run, out);
    case S_PROVINCE:
        return report_province_html(run, out);
    case S_CITY:
        return report_city_html(run, page->city_code, out);
    case S_COUNTY:
        return report_county_html(run, page->county, out);
    }
    return -1;
}

static int s_write_page(const sc_run_t *run, const char *dir, const char *name,
                        const s_page_t *page, kc_error_t *error)
{
    char path[S_PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        return kc_error_set(error, KC_ERR_INPUT, dir, "output path too long in '%s'", dir);
    }
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        return kc_error_set(error, KC_ERR_INPUT, path, "cannot create '%s': %s", path,
                            strerror(errno));
    }
    int rendered = s_render_page(run, page, out);
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed || rendered != 0) {
        return kc_error_set(error, KC_ERR_INPUT, path, "cannot write '%s'", path);
    }
    return 0;
}

static int s_write_json(const sc_run_t *run, const char *dir, kc_error_t *error)
{
    char path[S_PATH_MAX];
    if (run->json == NULL) {
        return 0; /* a run without its JSON (tests, previews): nothing to write */
    }
    snprintf(path, sizeof path, "%s/result.json", dir);
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        return kc_error_set(error, KC_ERR_INPUT, path, "cannot create '%s': %s", path,
                            strerror(errno));
    }
    size_t written = fwrite(run->json, 1, run->json_size, out);
    if (fclose(out) != 0 || written != run->json_size) {
        return kc_error_set(error, KC_ERR_INPUT, path, "cannot write '%s'", path);
    }
    return 0;
}

static int s_write_cities(const sc_run_t *run, const char *dir, kc_error_t *error)
{
    size_t *first = calloc(run->input->n_counties + 1, sizeof *first);
    if (first == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    size_t n = report_figures_cities(run->input, first);
    int rc = 0;
    for (size_t c = 0; c < n && rc == 0; c++) {
        const char *city_code = run->input->counties[first[c]].city_code;
        char name[64];
        snprintf(name, sizeof name, "city-%s.html", city_code);
        s_page_t page = {S_CITY, city_code, 0};
        rc = s_write_page(run, dir, name, &page, error);
    }
    free(first);
    return rc;
}

int report_write_all(const sc_run_t *run, const char *dir, kc_error_t *error)
{
    if (s_make_directory(dir, error) != 0) {
        return -1;
    }
    s_page_t result = {S_RESULT, NULL, 0};
    s_page_t province = {S_PROVINCE, NULL, 0};
    if (s_write_page(run, dir, "index.html", &result, error) != 0 ||
        s_write_page(run, dir, "province.html", &province, error) != 0 ||
        s_write_cities(run, dir, error) != 0) {
        return -1;
    }
    for (size_t i = 0; i < run->input->n_counties; i++) {
        char name[64];
        snprintf(name, sizeof name, "county-%s.html", run->input->counties[i].code);
        s_page_t page = {S_COUNTY, NULL, i};
        if (s_write_page(run, dir, name, &page, error) != 0) {
            return -1;
        }
    }
    if (report_export_csv(run, dir, error) != 0) {
        return -1;
    }
    return s_write_json(run, dir, error);
}
