/*  report_fixture: the run of the report tests (see report_fixture.h). */
#include "report_fixture.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scoring/report.h"

static const sc_county_t s_counties[REPORT_FIXTURE_COUNTIES] = {
    {"130102", "长安区", "130100", "石家庄市"},    {"130104", "桥西区", "130100", "石家庄市"},
    {"130105", "新<&>县", "130100", "石家庄市"},   {"130202", "路南区", "130200", "唐山市"},
    {"130203", "甲,\"乙\"县", "130200", "唐山市"},
};
static const int32_t s_totals[REPORT_FIXTURE_YEARS][REPORT_FIXTURE_COUNTIES] = {
    {8200, 7000, 7200, 6100, 5000},
    {8300, 7800, 7500, 6200, 5500},
    {8550, 8000, 7000, 5995, 6500},
};
/* Ranks by hand from the totals above (all distinct, so every tie rule agrees). */
static const int s_ranks[REPORT_FIXTURE_YEARS][REPORT_FIXTURE_COUNTIES] = {
    {1, 3, 2, 4, 5},
    {1, 2, 3, 4, 5},
    {1, 2, 3, 5, 4},
};
static const int s_ranks_in_city[REPORT_FIXTURE_YEARS][REPORT_FIXTURE_COUNTIES] = {
    {1, 3, 2, 1, 2},
    {1, 2, 3, 1, 2},
    {1, 2, 3, 2, 1},
};

report_fixture_t *report_fixture;
char report_fixture_directory[64];

static void s_set_primary(sc_primary_t *primary, const char *code, const char *name, int32_t points)
{
    snprintf(primary->code, sizeof primary->code, "%s", code);
    snprintf(primary->name_zh, sizeof primary->name_zh, "%s", name);
    primary->points_centi = points;
}

static void s_set_indicator(sc_indicator_t *indicator, const char *code, int primary,
                            const char *name, const char *unit, int32_t points)
{
    snprintf(indicator->code, sizeof indicator->code, "%s", code);
    snprintf(indicator->name_zh, sizeof indicator->name_zh, "%s", name);
    snprintf(indicator->unit, sizeof indicator->unit, "%s", unit);
    indicator->primary = primary;
    indicator->points_centi = points;
    indicator->positive = true;
    indicator->benchmark = 1;
    indicator->input = -1;
}

static void s_build_methodology(sc_methodology_t *m)
{
    snprintf(m->code, sizeof m->code, "test-v1");
    snprintf(m->title_zh, sizeof m->title_zh, "测试评价方法");
    m->class_a_centi = 8000;
    m->class_b_centi = 6000;
    m->n_primaries = 2;
    s_set_primary(&m->primaries[0], "input", "创新投入", 6000);
    s_set_primary(&m->primaries[1], "output", "创新产出", 4000);
    m->n_indicators = 3;
    s_set_indicator(&m->indicators[0], "I01", 0, "R&D经费投入", "万元", 3000);
    s_set_indicator(&m->indicators[1], "I02", 0, "研发投入强度", "%", 3000);
    s_set_indicator(&m->indicators[2], "I03", 1, "发明专利拥有量", "件", 4000);
}

static void s_build_county(const sc_methodology_t *m, sc_county_result_t *county, int32_t total)
{
    county->points[0] = total * 3 / 10;
    county->points[1] = total * 3 / 10;
    county->points[2] = total - county->points[0] - county->points[1];
    for (size_t k = 0; k < 3; k++) {
        county->value[k] = county->points[k] / 4.0;
        county->normalised[k] = (double)county->points[k] / m->indicators[k].points_centi;
    }
    county->subtotal[0] = county->points[0] + county->points[1];
    county->subtotal[1] = county->points[2];
    county->total = total;
    county->klass = total >= 8000 ? 'A' : total >= 6000 ? 'B' : 'C';
    county->total_exact = total;
    county->total_other = total; /* the parts add up: no county flagged by the rule */
    county->class_other = county->klass;
}

static void s_build_years(report_fixture_t *f)
{
    for (size_t y = 0; y < REPORT_FIXTURE_YEARS; y++) {
        memcpy(f->counties[y], s_counties, sizeof s_counties);
        f->years[y] =
            (sc_year_input_t){2021 + (int)y, REPORT_FIXTURE_COUNTIES, f->counties[y], NULL, NULL};
        f->results[y] =
            (sc_year_result_t){2021 + (int)y, REPORT_FIXTURE_COUNTIES, f->county_results[y]};
        for (size_t i = 0; i < REPORT_FIXTURE_COUNTIES; i++) {
            s_build_county(&f->m, &f->county_results[y][i], s_totals[y][i]);
            f->county_results[y][i].rank = s_ranks[y][i];
            f->county_results[y][i].rank_in_province = s_ranks[y][i]; /* a province run */
            f->county_results[y][i].rank_in_city = s_ranks_in_city[y][i];
        }
    }
    /* 2023: 路南区 carried I03 forward, 新<&>县's I01 jumped */
    f->county_results[2][3].flags[2] = SC_FLAG_IMPUTED;
    f->county_results[2][2].flags[0] = SC_FLAG_JUMP;
    f->county_results[2][2].flag_count = 1;
}

/* The change 2022 -> 2023 as engine_compare defines it. */
static void s_build_changes(report_fixture_t *f)
{
    for (size_t i = 0; i < REPORT_FIXTURE_COUNTIES; i++) {
        const sc_county_result_t *now = &f->county_results[2][i];
        const sc_county_result_t *before = &f->county_results[1][i];
        sc_change_t *change = &f->changes[i];
        change->has_previous = true;
        change->total_delta = now->total - before->total;
        change->previous_class = before->klass;
        change->previous_rank = before->rank;
        change->rank_change = before->rank - now->rank;
        change->main_cause = -1;
        for (int k = 0; k < 3; k++) {
            change->indicator_delta[k] = now->points[k] - before->points[k];
            if (change->indicator_delta[k] != 0 &&
                (change->main_cause < 0 || abs(change->indicator_delta[k]) >
                                               abs(change->indicator_delta[change->main_cause]))) {
                change->main_cause = k;
            }
        }
    }
}

static void s_add_award(sc_county_awards_t *awards, const char *rule, int amount,
                        const char *reason)
{
    sc_award_t *award = &awards->awards[awards->n_awards++];
    snprintf(award->rule, sizeof award->rule, "%s", rule);
    snprintf(award->reason, sizeof award->reason, "%s", reason);
    award->amount = amount;
    awards->uncapped += amount;
    awards->total = awards->uncapped > 500 ? 500 : awards->uncapped;
}

static void s_build_outcomes(report_fixture_t *f)
{
    /* 新<&>县: 70.00 -> A needs 10.00; I03 from 700 to 1050 would do (+50 %) */
    f->gaps[2] = (sc_gap_t){'A', 1000, 2, 1050.0, 0.5};
    f->gaps[3] = (sc_gap_t){'B', 5, 0, 450.0, 0.0027};
    f->gaps[4] = (sc_gap_t){'A', 1500, -1, 0, 0};
    s_add_award(&f->awards[0], "top3_a", 300, "2023年度A类第1名");
    s_add_award(&f->awards[1], "top3_a", 300, "2023年度A类第2名");
    s_add_award(&f->awards[1], "leap_b_to_a", 300, "由2022年度B类跃升到2023年度A类");
    s_add_award(&f->awards[4], "leap_c_to_b", 200, "由2022年度C类跃升到2023年度B类");
    f->robustness[0] = (sc_mc_county_t){1, 1, 2, {0.98, 0.02, 0}};
    f->robustness[1] = (sc_mc_county_t){1, 2, 3, {0.55, 0.45, 0}};
    f->robustness[2] = (sc_mc_county_t){2, 3, 3, {0.05, 0.95, 0}};
    f->robustness[3] = (sc_mc_county_t){4, 5, 5, {0, 0.48, 0.52}};
    f->robustness[4] = (sc_mc_county_t){4, 4, 5, {0, 0.93, 0.07}};
}

static void s_build_run(report_fixture_t *f)
{
    sc_run_t *run = &f->run;
    snprintf(f->snapshot.scope_code, sizeof f->snapshot.scope_code, "130000");
    snprintf(f->snapshot.scope_name, sizeof f->snapshot.scope_name, "河北省");
    f->snapshot.year = 2023;
    f->snapshot.n_years = REPORT_FIXTURE_YEARS;
    f->snapshot.years = f->years;
    snprintf(f->policy.code, sizeof f->policy.code, "test-leap");
    f->policy.cap = 500;
    run->m = &f->m;
    run->policy = &f->policy;
    run->snapshot = &f->snapshot;
    run->mc.draws = 1000;
    run->n_years = REPORT_FIXTURE_YEARS;
    run->years = f->years;
    run->results = f->results;
    run->input = &f->years[2];
    run->result = &f->results[2];
    run->prev_input = &f->years[1];
    run->prev_result = &f->results[1];
    run->changes = f->changes;
    run->gaps = f->gaps;
    run->awards = f->awards;
    run->robustness = f->robustness;
    snprintf(run->input_sha256, sizeof run->input_sha256, "%064d", 1);
    snprintf(run->output_sha256, sizeof run->output_sha256, "%064d", 2);
    run->json = "{\"year\":2023}\n";
    run->json_size = strlen(run->json);
}

void report_fixture_setup(void)
{
    report_fixture = calloc(1, sizeof *report_fixture);
    cr_assert_not_null(report_fixture);
    s_build_methodology(&report_fixture->m);
    s_build_years(report_fixture);
    s_build_changes(report_fixture);
    s_build_outcomes(report_fixture);
    s_build_run(report_fixture);
    snprintf(report_fixture_directory, sizeof report_fixture_directory, "/tmp/test_report_XXXXXX");
    cr_assert_not_null(mkdtemp(report_fixture_directory));
}

static void s_remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir != NULL) {
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
                char child[512];
                snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
                s_remove_tree(child);
            }
        }
        closedir(dir);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void report_fixture_teardown(void)
{
    s_remove_tree(report_fixture_directory);
    free(report_fixture);
}

char *report_fixture_render(int (*writer)(const sc_run_t *, FILE *))
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    cr_assert_eq(writer(&report_fixture->run, out), 0);
    fclose(out);
    return text;
}

char *report_fixture_county(size_t county)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    cr_assert_eq(report_county_html(&report_fixture->run, county, out), 0);
    fclose(out);
    return text;
}

char *report_fixture_city(const char *city_code)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    cr_assert_eq(report_city_html(&report_fixture->run, city_code, out), 0);
    fclose(out);
    return text;
}

const char *report_fixture_find(const char *text, const char *from, const char *needle)
{
    const char *start = from != NULL ? from : text;
    const char *at = strstr(start, needle);
    cr_assert_not_null(at, "'%s' not found in order", needle);
    return at;
}

char *report_fixture_slurp(const char *path, size_t *size)
{
    FILE *in = fopen(path, "rb");
    cr_assert_not_null(in, "cannot open %s", path);
    fseek(in, 0, SEEK_END);
    long length = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *text = calloc((size_t)length + 1, 1);
    cr_assert_eq(fread(text, 1, (size_t)length, in), (size_t)length);
    fclose(in);
    *size = (size_t)length;
    return text;
}

size_t report_fixture_count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle)) {
        n++;
    }
    return n;
}
