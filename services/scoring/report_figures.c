/*  report_figures: the shared figures of the report pages (see
 *  report_figures.h).
 */
#include "scoring/report_figures.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t total;    /* sort key, descending */
    const char *code; /* tie break, ascending */
    size_t index;     /* county index in the year's input */
} s_key_t;

bool report_figures_in_city(const sc_county_t *county, const char *city_code)
{
    return city_code == NULL || strcmp(county->city_code, city_code) == 0;
}

int report_figures_class_index(char klass)
{
    return klass == 'A' ? 0 : klass == 'B' ? 1 : klass == 'C' ? 2 : -1;
}

int report_figures_find(const sc_year_input_t *input, const char *code)
{
    for (size_t i = 0; i < input->n_counties; i++) {
        if (strcmp(input->counties[i].code, code) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int32_t report_figures_mean(int64_t sum, size_t n)
{
    if (n == 0) {
        return 0;
    }
    /* half up: (2 sum + n) / 2n, exact in integers */
    return (int32_t)((2 * sum + (int64_t)n) / (2 * (int64_t)n));
}

static int s_compare_keys(const void *a, const void *b)
{
    const s_key_t *left = a;
    const s_key_t *right = b;
    if (left->total != right->total) {
        return left->total > right->total ? -1 : 1;
    }
    return strcmp(left->code, right->code);
}

size_t report_figures_order(const sc_year_input_t *input, const sc_year_result_t *result,
                            const char *city_code, size_t *order)
{
    if (input->n_counties == 0) {
        return 0;
    }
    s_key_t *keys = calloc(input->n_counties, sizeof *keys);
    if (keys == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    size_t n = 0;
    for (size_t i = 0; i < input->n_counties; i++) {
        if (report_figures_in_city(&input->counties[i], city_code)) {
            keys[n++] = (s_key_t){result->counties[i].total, input->counties[i].code, i};
        }
    }
    qsort(keys, n, sizeof *keys, s_compare_keys);
    for (size_t i = 0; i < n; i++) {
        order[i] = keys[i].index;
    }
    free(keys);
    return n;
}

void report_figures_scope(const sc_methodology_t *m, const sc_year_input_t *input,
                          const sc_year_result_t *result, const char *city_code,
                          report_scope_figures_t *out)
{
    int64_t total = 0;
    int64_t subtotal[SC_MAX_PRIMARIES] = {0};
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < input->n_counties; i++) {
        if (!report_figures_in_city(&input->counties[i], city_code)) {
            continue;
        }
        const sc_county_result_t *county = &result->counties[i];
        out->n_counties++;
        total += county->total;
        for (size_t p = 0; p < m->n_primaries; p++) {
            subtotal[p] += county->subtotal[p];
        }
        int klass = report_figures_class_index(county->klass);
        if (klass >= 0) {
            out->classes[klass]++;
        }
    }
    out->total = report_figures_mean(total, out->n_counties);
    for (size_t p = 0; p < m->n_primaries; p++) {
        out->subtotal[p] = report_figures_mean(subtotal[p], out->n_counties);
    }
}

size_t report_figures_cities(const sc_year_input_t *input, size_t *first)
{
    size_t n = 0;
    for (size_t i = 0; i < input->n_counties; i++) {
        const char *city = input->counties[i].city_code;
        size_t at = n;
        bool seen = false;
        for (size_t c = 0; c < n; c++) {
            int cmp = strcmp(city, input->counties[first[c]].city_code);
            if (cmp == 0) {
                seen = true;
                break;
            }
            if (cmp < 0 && at == n) {
                at = c;
            }
        }
        if (seen) {
            continue;
        }
        /* insertion keeps the list in city code order */
        memmove(&first[at + 1], &first[at], (n - at) * sizeof *first);
        first[at] = i;
        n++;
    }
    return n;
}
