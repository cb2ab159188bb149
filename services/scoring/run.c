/*  run: score every year of a snapshot under one methodology, then derive
 *  what the year scored needs (changes, gaps, rewards, robustness) and the
 *  canonical JSON that is the run's record.
 *
 *  All years are rescored rather than read from earlier publications: the
 *  issue's rule is that year t is compared with year t-1 under the same
 *  methodology version, and a class history scored under one version is
 *  the only one in which "a leap back into a class after having fallen
 *  from it" means the same thing every year. Published records stay what
 *  they were (scoring_publication is frozen).
 */
#include "scoring/run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/text_buffer.h"

static void *s_calloc(size_t count, size_t size)
{
    void *memory = calloc(count ? count : 1, size);
    if (!memory)
        abort();
    return memory;
}

static int s_compare_county(const void *key, const void *element)
{
    return strcmp((const char *)key, ((const sc_county_t *)element)->code);
}

/* Index of a county in a year by code; counties are in code order. */
static int s_find(const sc_year_input_t *year, const char *code)
{
    const sc_county_t *found =
        bsearch(code, year->counties, year->n_counties, sizeof *year->counties, s_compare_county);
    return found ? (int)(found - year->counties) : -1;
}

static int s_check_order(const sc_snapshot_t *snapshot, kc_error_t *error)
{
    for (size_t y = 0; y < snapshot->n_years; y++) {
        const sc_year_input_t *year = &snapshot->years[y];
        if (y > 0 && year->year <= snapshot->years[y - 1].year)
            return kc_error_set(error, KC_ERR_INTERNAL, "snapshot.years",
                                "snapshot years are not ascending at %d", year->year);
        for (size_t c = 1; c < year->n_counties; c++)
            if (strcmp(year->counties[c - 1].code, year->counties[c].code) >= 0)
                return kc_error_set(error, KC_ERR_INTERNAL, "snapshot.counties",
                                    "counties of %d are not in code order at %s", year->year,
                                    year->counties[c].code);
    }
    if (snapshot->n_years == 0 || snapshot->years[snapshot->n_years - 1].year != snapshot->year)
        return kc_error_set(error, KC_ERR_INTERNAL, "snapshot.year",
                            "snapshot does not end with the year scored (%d)", snapshot->year);
    return 0;
}

/* Whether county c of a year has a single value (submitted or rated). */
static bool s_has_data(const sc_year_input_t *year, size_t c, size_t n_inputs)
{
    const uint8_t *present = year->present + c * n_inputs;
    for (size_t k = 0; k < n_inputs; k++)
        if (present[k])
            return true;
    return false;
}

static bool s_in_scope(const sc_county_t *county, const char *prefix)
{
    return strncmp(county->code, prefix, strlen(prefix)) == 0;
}

/* The counties of `from` marked in `keep`, copied in their (code) order. */
static void s_subset_input(const sc_year_input_t *from, const uint8_t *keep, size_t n_inputs,
                           sc_year_input_t *to)
{
    size_t n = 0;
    for (size_t c = 0; c < from->n_counties; c++)
        n += keep[c];
    snapshot_year_init(to, from->year, n, n_inputs);
    for (size_t c = 0, at = 0; c < from->n_counties; c++) {
        if (!keep[c])
            continue;
        to->counties[at] = from->counties[c];
        memcpy(to->values + at * n_inputs, from->values + c * n_inputs,
               n_inputs * sizeof *to->values);
        memcpy(to->present + at * n_inputs, from->present + c * n_inputs, n_inputs);
        at++;
    }
}

/* The results of the counties marked in `keep`, ranked again among
 * themselves (rank in the scope); the province and city ranks stay. */
static void s_subset_result(const sc_methodology_t *m, const sc_year_result_t *from,
                            const uint8_t *keep, sc_year_result_t *to)
{
    size_t n = 0;
    for (size_t c = 0; c < from->n_counties; c++)
        n += keep[c];
    *to = (sc_year_result_t){.year = from->year, .n_counties = n};
    to->counties = s_calloc(n, sizeof *to->counties);
    int32_t *totals = s_calloc(n, sizeof *totals);
    int *ranks = s_calloc(n, sizeof *ranks);
    for (size_t c = 0, at = 0; c < from->n_counties; c++)
        if (keep[c]) {
            to->counties[at] = from->counties[c];
            totals[at++] = from->counties[c].total;
        }
    engine_rank(totals, n, m->tie_rule, ranks);
    for (size_t i = 0; i < n; i++)
        to->counties[i].rank = ranks[i];
    free(ranks);
    free(totals);
}

/* Each year: its evaluated counties (those with data) are scored, and
 * the scope's part of them is the run's view. */
static int s_score_years(sc_run_t *self, kc_error_t *error)
{
    const sc_snapshot_t *snapshot = self->snapshot;
    size_t n_inputs = self->m->n_inputs;
    char prefix[7];
    snapshot_scope_prefix(snapshot->scope_code, prefix);
    self->n_years = snapshot->n_years;
    self->years = s_calloc(self->n_years, sizeof *self->years);
    self->results = s_calloc(self->n_years, sizeof *self->results);
    self->evaluation_years = s_calloc(self->n_years, sizeof *self->evaluation_years);
    self->evaluation_results = s_calloc(self->n_years, sizeof *self->evaluation_results);
    for (size_t y = 0; y < snapshot->n_years; y++) {
        const sc_year_input_t *all = &snapshot->years[y];
        uint8_t *keep = s_calloc(all->n_counties, 1);
        for (size_t c = 0; c < all->n_counties; c++)
            keep[c] = s_has_data(all, c, n_inputs);
        s_subset_input(all, keep, n_inputs, &self->evaluation_years[y]);
        free(keep);
        const sc_year_input_t *previous =
            y > 0 && snapshot->years[y - 1].year == snapshot->years[y].year - 1
                ? &self->evaluation_years[y - 1]
                : NULL;
        if (engine_score_year(self->m, &self->evaluation_years[y], previous,
                              &self->evaluation_results[y], error))
            return -1;
        const sc_year_input_t *scored = &self->evaluation_years[y];
        keep = s_calloc(scored->n_counties, 1);
        for (size_t c = 0; c < scored->n_counties; c++)
            keep[c] = s_in_scope(&scored->counties[c], prefix);
        s_subset_input(scored, keep, n_inputs, &self->years[y]);
        s_subset_result(self->m, &self->evaluation_results[y], keep, &self->results[y]);
        free(keep);
    }
    size_t last = snapshot->n_years - 1;
    self->input = &self->years[last];
    self->result = &self->results[last];
    if (last > 0 && snapshot->years[last - 1].year == self->input->year - 1) {
        self->prev_input = &self->years[last - 1];
        self->prev_result = &self->results[last - 1];
    }
    return 0;
}

/* The scope's counties of the year scored, and those of them left out. */
static int s_coverage(sc_run_t *self, kc_error_t *error)
{
    const sc_year_input_t *all = &self->snapshot->years[self->snapshot->n_years - 1];
    char prefix[7];
    snapshot_scope_prefix(self->snapshot->scope_code, prefix);
    self->not_evaluated = s_calloc(all->n_counties, sizeof *self->not_evaluated);
    for (size_t c = 0; c < all->n_counties; c++) {
        if (!s_in_scope(&all->counties[c], prefix))
            continue;
        self->n_scope_counties++;
        if (!s_has_data(all, c, self->m->n_inputs))
            self->not_evaluated[self->n_not_evaluated++] = &all->counties[c];
    }
    self->coverage = self->n_scope_counties == 0
                         ? 1.0
                         : (double)self->input->n_counties / (double)self->n_scope_counties;
    for (size_t c = 0; c < self->result->n_counties; c++)
        self->n_class_flagged +=
            self->result->counties[c].klass != self->result->counties[c].class_other;
    if (self->input->n_counties == 0)
        return kc_error_set(error, KC_ERR_NOT_FOUND, "scope_code",
                            "no county of scope %s has data in %d", self->snapshot->scope_code,
                            self->snapshot->year);
    return 0;
}

int run_check_coverage(const sc_run_t *self, bool force, kc_error_t *error)
{
    if (force || !(self->coverage < self->m->min_coverage))
        return 0;
    kc_error_set(error, KC_ERR_LOW_COVERAGE, "scope_code",
                 "scope '%s' has data for %zu of its %zu counties in %d (%.1f%%), below the "
                 "methodology's min_coverage of %.1f%%; kcctl score --force scores it anyway",
                 self->snapshot->scope_code, self->input->n_counties, self->n_scope_counties,
                 self->snapshot->year, 100.0 * self->coverage, 100.0 * self->m->min_coverage);
    char first[160] = "";
    size_t used = 0;
    for (size_t c = 0; c < self->n_not_evaluated && c < 5 && used < sizeof first; c++)
        used += (size_t)snprintf(first + used, sizeof first - used, "%s%s %s", c ? ", " : "",
                                 self->not_evaluated[c]->code, self->not_evaluated[c]->name);
    kc_error_detail(error, "%zu counties have no data (未参评), first: %s", self->n_not_evaluated,
                    first);
    kc_error_hint(error, "submit their data, or score anyway with force (kcctl score --force): the "
                         "counties without data are then listed as not evaluated, never classed");
    return -1;
}

/* How many counties of the same province share each county's province
 * rank (counties come in code order, so a province is one block). */
static int *s_ties(const sc_year_input_t *year, const sc_year_result_t *result)
{
    size_t n = result->n_counties;
    int *ties = s_calloc(n, sizeof *ties);
    int *count = s_calloc(n + 2, sizeof *count);
    for (size_t first = 0; first < n;) {
        size_t last = first;
        while (last < n && strncmp(year->counties[last].code, year->counties[first].code, 2) == 0)
            last++;
        for (size_t c = first; c < last; c++)
            count[result->counties[c].rank_in_province]++;
        for (size_t c = first; c < last; c++)
            ties[c] = count[result->counties[c].rank_in_province];
        for (size_t c = first; c < last; c++)
            count[result->counties[c].rank_in_province] = 0;
        first = last;
    }
    free(count);
    return ties;
}

/* Rewards read each county's class and its rank in its province's whole
 * evaluation, year by year: the same whatever the run's scope. */
static void s_rewards(sc_run_t *self)
{
    size_t n = self->input->n_counties;
    sc_class_record_t *history = s_calloc(self->n_years, sizeof *history);
    int **ties = s_calloc(self->n_years, sizeof *ties);
    for (size_t y = 0; y < self->n_years; y++)
        ties[y] = s_ties(&self->evaluation_years[y], &self->evaluation_results[y]);
    self->awards = s_calloc(n, sizeof *self->awards);
    for (size_t c = 0; c < n; c++) {
        const char *code = self->input->counties[c].code;
        for (size_t y = 0; y < self->n_years; y++) {
            int at = s_find(&self->evaluation_years[y], code);
            const sc_county_result_t *result =
                at < 0 ? NULL : &self->evaluation_results[y].counties[at];
            history[y].year = self->snapshot->years[y].year;
            history[y].klass = result ? result->klass : 0;
            history[y].rank = result ? result->rank_in_province : 0;
            history[y].tied = result ? ties[y][at] : 0;
        }
        rewards_evaluate(self->policy, self->input->year, history, self->n_years, &self->awards[c]);
    }
    for (size_t y = 0; y < self->n_years; y++)
        free(ties[y]);
    free(ties);
    free(history);
}

/* The gaps are measured in the whole evaluation (its columns), then read
 * for the scope's counties. */
static void s_gaps(sc_run_t *self)
{
    const sc_year_input_t *all = &self->evaluation_years[self->n_years - 1];
    sc_gap_t *gaps = s_calloc(all->n_counties, sizeof *gaps);
    engine_gaps(self->m, all, &self->evaluation_results[self->n_years - 1], gaps);
    self->gaps = s_calloc(self->input->n_counties, sizeof *self->gaps);
    for (size_t c = 0; c < self->input->n_counties; c++)
        self->gaps[c] = gaps[s_find(all, self->input->counties[c].code)];
    free(gaps);
}

static int s_robustness(sc_run_t *self, kc_error_t *error)
{
    if (self->mc.draws == 0)
        return 0;
    size_t n = self->input->n_counties, k = self->m->n_indicators;
    double *normalised = s_calloc(n * k, sizeof *normalised);
    for (size_t c = 0; c < n; c++)
        memcpy(&normalised[c * k], self->result->counties[c].normalised, k * sizeof(double));
    self->robustness = s_calloc(n, sizeof *self->robustness);
    int rc = montecarlo_run(self->m, normalised, n, &self->mc, self->robustness, error);
    free(normalised);
    return rc;
}

static void s_json_double(text_buffer_t *out, double value)
{
    if (isfinite(value))
        text_buffer_append_double(out, value); /* as "%.17g" */
    else
        text_buffer_append(out, "null");
}

static void s_json_ints(text_buffer_t *out, const char *name, const int32_t *values, size_t n)
{
    text_buffer_append(out, ",\"%s\":[", name);
    for (size_t i = 0; i < n; i++)
        text_buffer_append(out, "%s%d", i ? "," : "", (int)values[i]);
    text_buffer_append(out, "]");
}

static void s_json_doubles(text_buffer_t *out, const char *name, const double *values, size_t n)
{
    text_buffer_append(out, ",\"%s\":[", name);
    for (size_t i = 0; i < n; i++) {
        text_buffer_append(out, "%s", i ? "," : "");
        s_json_double(out, values[i]);
    }
    text_buffer_append(out, "]");
}

static void s_json_change(const sc_run_t *self, text_buffer_t *out, size_t c)
{
    const sc_change_t *change = &self->changes[c];
    if (!change->has_previous) {
        text_buffer_append(out, ",\"change\":null");
        return;
    }
    text_buffer_append(out,
                       ",\"change\":{\"previous_class\":\"%c\",\"previous_rank\":%d,"
                       "\"rank_change\":%d,\"total_delta\":%d",
                       change->previous_class, change->previous_rank, change->rank_change,
                       (int)change->total_delta);
    s_json_ints(out, "indicator_delta", change->indicator_delta, self->m->n_indicators);
    text_buffer_append(out, ",\"main_cause\":");
    if (change->main_cause >= 0)
        text_buffer_append_json_string(out, self->m->indicators[change->main_cause].code);
    else
        text_buffer_append(out, "null");
    text_buffer_append(out, "}");
}

static void s_json_gap(const sc_run_t *self, text_buffer_t *out, size_t c)
{
    const sc_gap_t *gap = &self->gaps[c];
    if (!gap->next_class) {
        text_buffer_append(out, ",\"gap\":null");
        return;
    }
    text_buffer_append(out, ",\"gap\":{\"next_class\":\"%c\",\"points_needed\":%d,\"indicator\":",
                       gap->next_class, (int)gap->points_needed);
    if (gap->indicator >= 0) {
        text_buffer_append_json_string(out, self->m->indicators[gap->indicator].code);
        text_buffer_append(out, ",\"value_needed\":");
        s_json_double(out, gap->value_needed);
        text_buffer_append(out, ",\"relative_increase\":");
        s_json_double(out, gap->relative_increase);
    } else {
        text_buffer_append(out, "null");
    }
    text_buffer_append(out, "}");
}

static void s_json_awards(const sc_run_t *self, text_buffer_t *out, size_t c)
{
    const sc_county_awards_t *awards = &self->awards[c];
    text_buffer_append(out, ",\"awards\":{\"total\":%d,\"uncapped\":%d,\"items\":[", awards->total,
                       awards->uncapped);
    for (size_t i = 0; i < awards->n_awards; i++) {
        text_buffer_append(out, "%s{\"rule\":", i ? "," : "");
        text_buffer_append_json_string(out, awards->awards[i].rule);
        text_buffer_append(out, ",\"amount\":%d,\"reason\":", awards->awards[i].amount);
        text_buffer_append_json_string(out, awards->awards[i].reason);
        text_buffer_append(out, "}");
    }
    text_buffer_append(out, "]}");
}

static void s_json_county(const sc_run_t *self, text_buffer_t *out, size_t c)
{
    const sc_county_t *county = &self->input->counties[c];
    const sc_county_result_t *result = &self->result->counties[c];
    size_t k = self->m->n_indicators;
    text_buffer_append(out, "%s\n{\"code\":", c ? "," : "");
    text_buffer_append_json_string(out, county->code);
    text_buffer_append(out, ",\"name\":");
    text_buffer_append_json_string(out, county->name);
    text_buffer_append(out, ",\"city_code\":");
    text_buffer_append_json_string(out, county->city_code);
    text_buffer_append(out, ",\"city_name\":");
    text_buffer_append_json_string(out, county->city_name);
    text_buffer_append(out, ",\"total\":%d,\"class\":\"%c\",\"rank\":%d,\"rank_in_city\":%d",
                       (int)result->total, result->klass, result->rank, result->rank_in_city);
    text_buffer_append(out,
                       ",\"rank_in_province\":%d,\"total_other\":%d,\"class_other\":\"%c\","
                       "\"class_flagged\":%s",
                       result->rank_in_province, (int)result->total_other, result->class_other,
                       result->klass != result->class_other ? "true" : "false");
    s_json_ints(out, "subtotals", result->subtotal, self->m->n_primaries);
    s_json_ints(out, "points", result->points, k);
    s_json_doubles(out, "values", result->value, k);
    s_json_doubles(out, "normalised", result->normalised, k);
    text_buffer_append(out, ",\"flags\":[");
    for (size_t i = 0; i < k; i++)
        text_buffer_append(out, "%s%d", i ? "," : "", result->flags[i]);
    text_buffer_append(out, "]");
    s_json_change(self, out, c);
    s_json_gap(self, out, c);
    s_json_awards(self, out, c);
    if (self->robustness) {
        const sc_mc_county_t *mc = &self->robustness[c];
        text_buffer_append(out, ",\"robustness\":{\"rank_p5\":%d,\"rank_p50\":%d,\"rank_p95\":%d,",
                           mc->rank_p5, mc->rank_p50, mc->rank_p95);
        s_json_doubles(out, "p_class", mc->p_class, 3);
        text_buffer_append(out, "}");
    }
    text_buffer_append(out, "}");
}

/* Format 2 (issue 12): totals rounded once (total_from), rank_in_province,
 * the other rule's total and class per county, the scope's counties and
 * those not evaluated. A run stored under format 1 does not reproduce. */
static void s_json_head(const sc_run_t *self, text_buffer_t *out)
{
    const sc_snapshot_t *snapshot = self->snapshot;
    text_buffer_append(out, "{\"format\":\"kechuang-scoring-result 2\",\"scope\":{\"code\":");
    text_buffer_append_json_string(out, snapshot->scope_code);
    text_buffer_append(out, ",\"name\":");
    text_buffer_append_json_string(out, snapshot->scope_name);
    text_buffer_append(out, "},\"year\":%d,\"methodology\":{\"code\":", snapshot->year);
    text_buffer_append_json_string(out, snapshot->methodology_code);
    text_buffer_append(out,
                       ",\"sha256\":\"%s\"},\"policy\":{\"code\":", snapshot->methodology_sha256);
    text_buffer_append_json_string(out, snapshot->policy_code);
    text_buffer_append(out, ",\"sha256\":\"%s\"},\"input_sha256\":\"%s\",\"robustness\":",
                       snapshot->policy_sha256, self->input_sha256);
    if (self->robustness)
        text_buffer_append(out, "{\"draws\":%zu,\"seed\":%llu,\"concentration\":%.17g}",
                           self->mc.draws, (unsigned long long)self->mc.seed,
                           self->mc.concentration);
    else
        text_buffer_append(out, "null");
    text_buffer_append(out, ",\"primaries\":[");
    for (size_t i = 0; i < self->m->n_primaries; i++) {
        text_buffer_append(out, "%s", i ? "," : "");
        text_buffer_append_json_string(out, self->m->primaries[i].code);
    }
    text_buffer_append(out, "],\"indicators\":[");
    for (size_t i = 0; i < self->m->n_indicators; i++) {
        text_buffer_append(out, "%s", i ? "," : "");
        text_buffer_append_json_string(out, self->m->indicators[i].code);
    }
    text_buffer_append(out, "],\"history\":[");
    for (size_t y = 0; y < self->n_years; y++) {
        int classes[3] = {0, 0, 0};
        for (size_t c = 0; c < self->results[y].n_counties; c++)
            classes[self->results[y].counties[c].klass - 'A']++;
        text_buffer_append(out, "%s{\"year\":%d,\"counties\":%zu,\"A\":%d,\"B\":%d,\"C\":%d}",
                           y ? "," : "", self->results[y].year, self->results[y].n_counties,
                           classes[0], classes[1], classes[2]);
    }
    text_buffer_append(out, "],\"total_from\":");
    text_buffer_append_json_string(out, methodology_total_name(self->m->total_from));
    text_buffer_append(out, ",\"scope_counties\":%zu,\"not_evaluated\":[", self->n_scope_counties);
    for (size_t c = 0; c < self->n_not_evaluated; c++) {
        text_buffer_append(out, "%s{\"code\":", c ? "," : "");
        text_buffer_append_json_string(out, self->not_evaluated[c]->code);
        text_buffer_append(out, ",\"name\":");
        text_buffer_append_json_string(out, self->not_evaluated[c]->name);
        text_buffer_append(out, ",\"city_name\":");
        text_buffer_append_json_string(out, self->not_evaluated[c]->city_name);
        text_buffer_append(out, "}");
    }
    text_buffer_append(out, "],\"counties\":[");
}

static void s_json(sc_run_t *self)
{
    text_buffer_t out = {NULL, 0, 0};
    s_json_head(self, &out);
    for (size_t c = 0; c < self->input->n_counties; c++)
        s_json_county(self, &out, c);
    text_buffer_append(&out, "\n]}\n");
    self->json = text_buffer_take(&out, &self->json_size);
    snapshot_sha256(self->json, self->json_size, self->output_sha256);
}

int run_compute(sc_run_t *self, kc_error_t *error)
{
    char *text = NULL;
    size_t size = 0;
    if (s_check_order(self->snapshot, error) || s_score_years(self, error))
        return -1;
    if (s_coverage(self, error))
        return -1;
    size_t n = self->input->n_counties;
    self->changes = s_calloc(n, sizeof *self->changes);
    engine_compare(self->m, self->input, self->result, self->prev_input, self->prev_result,
                   self->changes);
    s_gaps(self);
    s_rewards(self);
    if (s_robustness(self, error))
        return -1;
    if (snapshot_write(self->m, self->snapshot, &text, &size, error))
        return -1;
    snapshot_sha256(text, size, self->input_sha256);
    self->input_text = text;
    self->input_size = size;
    s_json(self);
    return 0;
}

static void s_year_free(sc_year_input_t *year)
{
    free(year->counties);
    free(year->values);
    free(year->present);
}

void run_release(sc_run_t *self)
{
    for (size_t y = 0; y < self->n_years; y++) {
        engine_result_release(&self->results[y]);
        engine_result_release(&self->evaluation_results[y]);
        if (self->years)
            s_year_free(&self->years[y]);
        if (self->evaluation_years)
            s_year_free(&self->evaluation_years[y]);
    }
    free(self->results);
    free(self->years);
    free(self->evaluation_results);
    free(self->evaluation_years);
    free(self->not_evaluated);
    self->years = self->evaluation_years = NULL;
    self->evaluation_results = NULL;
    self->not_evaluated = NULL;
    free(self->changes);
    free(self->gaps);
    free(self->awards);
    free(self->robustness);
    free(self->json);
    free(self->input_text);
    self->input_text = NULL;
    self->results = NULL;
    self->changes = NULL;
    self->gaps = NULL;
    self->awards = NULL;
    self->robustness = NULL;
    self->json = NULL;
    self->n_years = 0;
}

size_t run_province_size(const sc_run_t *self, const char *code)
{
    const sc_year_input_t *year =
        self->evaluation_years ? &self->evaluation_years[self->n_years - 1] : self->input;
    size_t n = 0;
    for (size_t c = 0; c < year->n_counties; c++)
        n += strncmp(year->counties[c].code, code, 2) == 0;
    return n;
}

int run_county_index(const sc_run_t *self, const char *code)
{
    return s_find(self->input, code);
}
