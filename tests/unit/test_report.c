/*  Unit tests of the reports and exports (services/scoring/report_*.c).
 *
 *  A run is built by hand, so these tests read no other part of scoring:
 *  a methodology with 2 primaries (创新投入 60 points, 创新产出 40) and 3
 *  indicators (I01 30, I02 30, I03 40 points), 2 cities, 5 counties and 3
 *  years. Totals per year (centipoints):
 *
 *      code    name        city    2021  2022  2023   2023 class, rank
 *      130102  长安区      130100  8200  8300  8550   A 1
 *      130104  桥西区      130100  7000  7800  8000   A 2
 *      130105  新<&>县     130100  7200  7500  7000   B 3
 *      130202  路南区      130200  6100  6200  5995   C 5
 *      130203  甲,"乙"县   130200  5000  5500  6500   B 4
 *
 *  Each total is split as I01 = I02 = total * 3 / 10 (integer division)
 *  and I03 = the rest; an indicator's value is its points / 4 (exact in
 *  binary) and its normalised value points / max points.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scoring/report.h"
#include "scoring/report_csv.h"
#include "scoring/report_html.h"

#define S_YEARS    3
#define S_COUNTIES 5

typedef struct {
    sc_methodology_t m;
    sc_reward_policy_t policy;
    sc_snapshot_t snapshot;
    sc_year_input_t years[S_YEARS];
    sc_county_t counties[S_YEARS][S_COUNTIES];
    sc_year_result_t results[S_YEARS];
    sc_county_result_t county_results[S_YEARS][S_COUNTIES];
    sc_change_t changes[S_COUNTIES];
    sc_gap_t gaps[S_COUNTIES];
    sc_county_awards_t awards[S_COUNTIES];
    sc_mc_county_t robustness[S_COUNTIES];
    sc_run_t run;
} s_fixture_t;

static const sc_county_t s_counties[S_COUNTIES] = {
    {"130102", "长安区", "130100", "石家庄市"},    {"130104", "桥西区", "130100", "石家庄市"},
    {"130105", "新<&>县", "130100", "石家庄市"},   {"130202", "路南区", "130200", "唐山市"},
    {"130203", "甲,\"乙\"县", "130200", "唐山市"},
};
static const int32_t s_totals[S_YEARS][S_COUNTIES] = {
    {8200, 7000, 7200, 6100, 5000},
    {8300, 7800, 7500, 6200, 5500},
    {8550, 8000, 7000, 5995, 6500},
};
/* Ranks by hand from the totals above (all distinct, so every tie rule agrees). */
static const int s_ranks[S_YEARS][S_COUNTIES] = {
    {1, 3, 2, 4, 5},
    {1, 2, 3, 4, 5},
    {1, 2, 3, 5, 4},
};
static const int s_ranks_in_city[S_YEARS][S_COUNTIES] = {
    {1, 3, 2, 1, 2},
    {1, 2, 3, 1, 2},
    {1, 2, 3, 2, 1},
};

static s_fixture_t *s_fixture;
static char s_directory[64];

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
}

static void s_build_years(s_fixture_t *f)
{
    for (size_t y = 0; y < S_YEARS; y++) {
        memcpy(f->counties[y], s_counties, sizeof s_counties);
        f->years[y] = (sc_year_input_t){2021 + (int)y, S_COUNTIES, f->counties[y], NULL, NULL};
        f->results[y] = (sc_year_result_t){2021 + (int)y, S_COUNTIES, f->county_results[y]};
        for (size_t i = 0; i < S_COUNTIES; i++) {
            s_build_county(&f->m, &f->county_results[y][i], s_totals[y][i]);
            f->county_results[y][i].rank = s_ranks[y][i];
            f->county_results[y][i].rank_in_city = s_ranks_in_city[y][i];
        }
    }
    /* 2023: 路南区 carried I03 forward, 新<&>县's I01 jumped */
    f->county_results[2][3].flags[2] = SC_FLAG_IMPUTED;
    f->county_results[2][2].flags[0] = SC_FLAG_JUMP;
    f->county_results[2][2].flag_count = 1;
}

/* The change 2022 -> 2023 as engine_compare defines it. */
static void s_build_changes(s_fixture_t *f)
{
    for (size_t i = 0; i < S_COUNTIES; i++) {
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

static void s_build_outcomes(s_fixture_t *f)
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

static void s_build_run(s_fixture_t *f)
{
    sc_run_t *run = &f->run;
    snprintf(f->snapshot.scope_code, sizeof f->snapshot.scope_code, "130000");
    snprintf(f->snapshot.scope_name, sizeof f->snapshot.scope_name, "河北省");
    f->snapshot.year = 2023;
    f->snapshot.n_years = S_YEARS;
    f->snapshot.years = f->years;
    snprintf(f->policy.code, sizeof f->policy.code, "test-leap");
    f->policy.cap = 500;
    run->m = &f->m;
    run->policy = &f->policy;
    run->snapshot = &f->snapshot;
    run->mc.draws = 1000;
    run->n_years = S_YEARS;
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

static void s_setup(void)
{
    s_fixture = calloc(1, sizeof *s_fixture);
    cr_assert_not_null(s_fixture);
    s_build_methodology(&s_fixture->m);
    s_build_years(s_fixture);
    s_build_changes(s_fixture);
    s_build_outcomes(s_fixture);
    s_build_run(s_fixture);
    snprintf(s_directory, sizeof s_directory, "/tmp/test_report_XXXXXX");
    cr_assert_not_null(mkdtemp(s_directory));
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

static void s_teardown(void)
{
    s_remove_tree(s_directory);
    free(s_fixture);
}

TestSuite(report, .init = s_setup, .fini = s_teardown);

/* A page written into memory, NUL-terminated; free() it. */
static char *s_render(int (*writer)(const sc_run_t *, FILE *))
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    cr_assert_eq(writer(&s_fixture->run, out), 0);
    fclose(out);
    return text;
}

static char *s_render_county(size_t county)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    cr_assert_eq(report_county_html(&s_fixture->run, county, out), 0);
    fclose(out);
    return text;
}

static char *s_render_city(const char *city_code)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    cr_assert_not_null(out);
    cr_assert_eq(report_city_html(&s_fixture->run, city_code, out), 0);
    fclose(out);
    return text;
}

/* Position of `needle` in `text` after `from`; fails the test when absent. */
static const char *s_find_after(const char *text, const char *from, const char *needle)
{
    const char *start = from != NULL ? from : text;
    const char *at = strstr(start, needle);
    cr_assert_not_null(at, "'%s' not found in order", needle);
    return at;
}

static char *s_slurp(const char *path, size_t *size)
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

Test(report, formats_centipoints_with_exactly_two_decimals_by_integer_arithmetic)
{
    char number[REPORT_NUMBER_MAX];
    cr_assert_str_eq(report_html_centi(8000, number), "80.00");
    cr_assert_str_eq(report_html_centi(5, number), "0.05");
    cr_assert_str_eq(report_html_centi(12345, number), "123.45");
    cr_assert_str_eq(report_html_centi(0, number), "0.00");
    cr_assert_str_eq(report_html_centi(-5, number), "-0.05");
    cr_assert_str_eq(report_html_centi(INT32_MIN, number), "-21474836.48");
    cr_assert_str_eq(report_html_delta(149, number), "+1.49");
    cr_assert_str_eq(report_html_delta(-500, number), "-5.00");
    cr_assert_str_eq(report_html_delta(0, number), "0.00");
    /* 0.125 is exact in binary: 12.5 rounds half away from zero to 13 */
    cr_assert_str_eq(report_html_fixed(0.125, 2, number), "0.13");
    cr_assert_str_eq(report_html_fixed(-0.125, 2, number), "-0.13");
    cr_assert_str_eq(report_html_fixed(1050, 2, number), "1050.00");
    cr_assert_str_eq(report_html_fixed(INFINITY, 2, number), "—");
    /* 1/3 = 33.33 % -> 33.3 %; 2/3 = 66.67 % -> 66.7 % */
    cr_assert_str_eq(report_html_percent(1, 3, number), "33.3%");
    cr_assert_str_eq(report_html_percent(2, 3, number), "66.7%");
}

Test(report, escapes_the_five_html_special_characters)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    report_html_text(out, "a<b>&\"'县");
    fclose(out);
    cr_assert_str_eq(text, "a&lt;b&gt;&amp;&quot;&#39;县");
    free(text);
}

Test(report, published_result_lists_each_class_in_score_order)
{
    char *html = s_render(report_result_html);
    s_find_after(html, NULL, "<title>河北省2023年度县域科技创新能力监测评价结果</title>");
    s_find_after(html, NULL, "test-v1");
    s_find_after(html, NULL, "0000000000000000000000000000000000000000000000000000000000000002");
    /* A: 长安区 85.50 before 桥西区 80.00; B: 新<&>县 70.00 before 甲,"乙"县 65.00; C: 路南区 */
    const char *at = s_find_after(html, NULL, "A类（第一梯队）2个");
    at = s_find_after(html, at, "长安区");
    at = s_find_after(html, at, "85.50");
    at = s_find_after(html, at, "桥西区");
    at = s_find_after(html, at, "80.00");
    at = s_find_after(html, at, "B类（第二梯队）2个");
    at = s_find_after(html, at, "新&lt;&amp;&gt;县");
    at = s_find_after(html, at, "70.00");
    at = s_find_after(html, at, "甲,&quot;乙&quot;县");
    at = s_find_after(html, at, "65.00");
    at = s_find_after(html, at, "C类（第三梯队）1个");
    at = s_find_after(html, at, "路南区");
    s_find_after(html, at, "59.95");
    cr_assert_null(strstr(html, "新<&>县"), "a county name went out unescaped");
    cr_assert_null(strstr(html, "甲,\"乙\"县"), "a county name went out unescaped");
    s_find_after(html, NULL, "href=\"county-130105.html\"");
    s_find_after(html, NULL, "href=\"city-130200.html\"");
    free(html);
}

Test(report, published_result_shows_flagged_values_and_capped_rewards)
{
    char *html = s_render(report_result_html);
    /* 路南区 I03 carried forward (value 2399 / 4 = 599.75), 新<&>县 I01 jumped */
    const char *at = s_find_after(html, NULL, "<h2>数据标记</h2>");
    at = s_find_after(html, at, "新&lt;&amp;&gt;县");
    at = s_find_after(html, at, "同比异常待复核");
    at = s_find_after(html, at, "路南区");
    at = s_find_after(html, at, "599.75件");
    at = s_find_after(html, at, "上年数据结转");
    s_find_after(html, at, "共2项数据存在标记");
    /* 桥西区: 300 + 300 = 600 capped at 500; total paid 300 + 500 + 200 = 1000 */
    at = s_find_after(html, NULL, "<h2>跃升奖励</h2>");
    at = s_find_after(html, at, "由B类跃升到A类（300万元）");
    at = s_find_after(html, at, "多项奖励合计600万元，按最高500万元计奖");
    s_find_after(html, at, "共3个县获得奖励，合计1000万元");
    free(html);
}

Test(report, province_report_draws_charts_and_compares_with_last_year)
{
    char *html = s_render(report_province_html);
    s_find_after(html, NULL, "<title>《河北省县域科技创新年度评估报告》</title>");
    /* mean 2023 = 36045 / 5 = 7209; 2022 = 35300 / 5 = 7060; +1.49 */
    s_find_after(html, NULL, "平均得分72.09分，上年70.60分，提高1.49分。");
    /* classes 2022 A1 B3 C1, 2023 A2 B2 C1 */
    s_find_after(html, NULL, "A类县较上年增加1个，B类县较上年减少1个，C类县与上年持平。");
    const char *at = s_find_after(html, NULL, "<svg");
    at = s_find_after(html, at, "2021年 A类：1个");
    at = s_find_after(html, at, "2023年 B类：2个");
    /* 59.95 lies in 55-60, 80.00 in 80-85 (lower edge included) */
    at = s_find_after(html, at, "55～60分：1个县");
    at = s_find_after(html, at, "80～85分：1个县");
    at = s_find_after(html, at, "A类线80.00");
    /* 石家庄市 23550 / 3 = 7850; 唐山市 12495 / 2 = 6247.5 -> 6248 (half up) */
    at = s_find_after(html, at, "78.50");
    s_find_after(html, at, "62.48");
    /* uncertain classes (own-class probability < 0.9): 桥西区 55 %, 路南区 52 % */
    const char *robust = s_find_after(html, NULL, "<h2>稳健性分析</h2>");
    const char *advice = s_find_after(html, robust, "<h2>分析与建议</h2>");
    const char *qiaoxi = s_find_after(html, robust, "桥西区");
    const char *lunan = s_find_after(html, robust, "路南区");
    cr_assert(qiaoxi < advice && lunan < advice);
    const char *changan = strstr(robust, "长安区");
    cr_assert(changan == NULL || changan > advice, "a stable county listed as uncertain");
    /* 路南区 I03 carried forward, 新<&>县 I01 jumped; 路南区 is 0.05 from B */
    at = s_find_after(html, advice, "<li>本年度有1项数据未按期报送");
    at = s_find_after(html, at, "<li>有1项数据同比变化异常");
    cr_assert_null(strstr(html, "&lt;li"));
    s_find_after(html, advice,
                 "有望实现跃升的县：<a href=\"county-130202.html\">路南区</a>，共1个");
    free(html);
}

Test(report, province_report_names_the_biggest_movers_and_their_cause)
{
    char *html = s_render(report_province_html);
    /* 甲,"乙"县: rank 5 -> 4, delta 1000 split 300/300/400: I03 (+4.00) is the main cause */
    const char *at = s_find_after(html, NULL, "排名提升较多的县");
    at = s_find_after(html, at, "甲,&quot;乙&quot;县");
    at = s_find_after(html, at, "+10.00");
    at = s_find_after(html, at, "发明专利拥有量（+4.00分）");
    /* 路南区: rank 4 -> 5, 5995 - 6200 = -2.05: I03 2399 - 2480 = -0.81 */
    at = s_find_after(html, at, "排名下降较多的县");
    at = s_find_after(html, at, "路南区");
    s_find_after(html, at, "发明专利拥有量（-0.81分）");
    free(html);
}

Test(report, city_report_covers_only_the_counties_of_the_city)
{
    char *html = s_render_city("130200");
    s_find_after(html, NULL, "《唐山市县域科技创新年度评估报告》");
    /* 唐山市 2023: mean 6248, 2022: (6200 + 5500) / 2 = 5850 */
    s_find_after(html, NULL, "平均得分62.48分，上年58.50分，提高3.98分。");
    const char *at = s_find_after(html, NULL, "<h2>各县得分情况</h2>");
    at = s_find_after(html, at, "甲,&quot;乙&quot;县");
    s_find_after(html, at, "路南区");
    cr_assert_null(strstr(html, "长安区"));
    cr_assert_null(strstr(html, "新&lt;"));
    free(html);
    char *none = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&none, &size);
    cr_assert_eq(report_city_html(&s_fixture->run, "139900", out), -1);
    fclose(out);
    free(none);
}

Test(report, county_report_shows_charts_indicators_change_gap_and_class_tasks)
{
    char *html = s_render_county(2);
    s_find_after(html, NULL, "新&lt;&amp;&gt;县2023年度科技创新能力评估报告");
    s_find_after(html, NULL, "<td class=\"n\">3 / 5</td>");
    s_find_after(html, NULL, "较上年下降5.00分，类别保持B类，全省排名保持第3位。");
    s_find_after(html, NULL, "<polyline");
    /* 2021 rank 2, 2022 rank 3, 2023 rank 3 */
    s_find_after(html, NULL, "2021年：2名");
    s_find_after(html, NULL, "创新投入 新&lt;&amp;&gt;县：70.0%");
    /* 2023 7000 = 2100 + 2100 + 2800; 2022 7500 = 2250 + 2250 + 3000 */
    const char *at = s_find_after(html, NULL, "<h2>得分变化分解</h2>");
    at =
        s_find_after(html, at, "总分较上年下降5.00分，影响最大的指标是“发明专利拥有量”（-2.00分）");
    at = s_find_after(html, at, "发明专利拥有量</td><td class=\"n\">-2.00");
    at = s_find_after(html, at, "R&amp;D经费投入</td><td class=\"n\">-1.50");
    at = s_find_after(html, at, "距A类还差10.00分");
    s_find_after(html, at, "需由700.00件达到1050.00件（提高50.0%）");
    at = s_find_after(html, NULL, "B类县个性任务");
    s_find_after(html, at, "改造提升传统产业");
    cr_assert_null(strstr(html, "做大做强主导优势产业"));
    free(html);
}

Test(report, county_report_quotes_the_tasks_of_its_class)
{
    char *a = s_render_county(0);
    char *c = s_render_county(3);
    char *leap = s_render_county(4);
    /* 甲,"乙"县: 55.00 C rank 5 -> 65.00 B rank 4 */
    s_find_after(leap, NULL, "较上年提高10.00分，类别由C类升为B类，全省排名由第5位上升至第4位。");
    free(leap);
    s_find_after(a, NULL, "做大做强主导优势产业");
    s_find_after(a, NULL, "构建完整的创新生态系统");
    s_find_after(a, NULL, "本县已位于A类");
    s_find_after(c, NULL, "加快培育区域特色产业");
    s_find_after(c, NULL, "大力增加科技投入");
    s_find_after(c, NULL, "上年数据结转");
    cr_assert_null(strstr(c, "做大做强主导优势产业"));
    free(a);
    free(c);
}

Test(report, csv_fields_are_quoted_as_rfc_4180_says)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    report_csv_field(out, "plain");
    fputc('|', out);
    report_csv_field(out, "a,b");
    fputc('|', out);
    report_csv_field(out, "say \"hi\"");
    fputc('|', out);
    report_csv_field(out, "two\r\nlines");
    fputc('|', out);
    report_csv_double(out, 0.1);
    fputc('|', out);
    report_csv_double(out, INFINITY);
    fclose(out);
    cr_assert_str_eq(text,
                     "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\r\nlines\"|0.10000000000000001|inf");
    free(text);
}

Test(report, csv_export_writes_every_table)
{
    kc_error_t error = {0};
    size_t size;
    cr_assert_eq(report_export_csv(&s_fixture->run, s_directory, &error), 0, "%s", error.message);
    char path[256];
    snprintf(path, sizeof path, "%s/results.csv", s_directory);
    char *results = s_slurp(path, &size);
    static const char header[] = "code,name,city_code,city_name,total,input,output,class,rank,"
                                 "rank_in_city,flag_count\r\n";
    cr_assert_eq(strncmp(results, header, strlen(header)), 0);
    /* 6500 = 1950 + 1950 + 2600: subtotals 39.00 and 26.00 */
    s_find_after(results, NULL,
                 "\r\n130203,\"甲,\"\"乙\"\"县\",130200,唐山市,65.00,39.00,26.00,B,4,1,0\r\n");
    s_find_after(results, NULL, "\r\n130105,新<&>县,130100,石家庄市,70.00,42.00,28.00,B,3,3,1\r\n");
    free(results);
    snprintf(path, sizeof path, "%s/points.csv", s_directory);
    char *points = s_slurp(path, &size);
    s_find_after(points, NULL, "\r\n130202,I03,599.75,");
    s_find_after(points, NULL, ",23.99,40.00,imputed\r\n");
    free(points);
    snprintf(path, sizeof path, "%s/awards.csv", s_directory);
    char *awards = s_slurp(path, &size);
    s_find_after(awards, NULL,
                 "\r\n130104,桥西区,leap_b_to_a,300,由2022年度B类跃升到2023年度A类,500,600\r\n");
    free(awards);
    snprintf(path, sizeof path, "%s/gaps.csv", s_directory);
    char *gaps = s_slurp(path, &size);
    s_find_after(gaps, NULL, "\r\n130105,新<&>县,B,70.00,A,10.00,I03,1050,0.5\r\n");
    s_find_after(gaps, NULL, "\r\n130102,长安区,A,85.50,,,,,\r\n");
    free(gaps);
    snprintf(path, sizeof path, "%s/changes.csv", s_directory);
    char *changes = s_slurp(path, &size);
    /* 路南区: 4 -> 5, -2.05 = -0.62 - 0.62 - 0.81 (1798 - 1860, 2399 - 2480) */
    s_find_after(changes, NULL, "\r\n130202,路南区,1,B,C,4,5,-1,-2.05,I03,-0.62,-0.62,-0.81\r\n");
    free(changes);
    snprintf(path, sizeof path, "%s/robustness.csv", s_directory);
    char *robustness = s_slurp(path, &size);
    s_find_after(robustness, NULL,
                 "\r\n130104,桥西区,A,2,1,2,3,0.55000000000000004,0.45000000000000001,0\r\n");
    free(robustness);
}

Test(report, csv_export_leaves_out_robustness_without_monte_carlo)
{
    kc_error_t error = {0};
    s_fixture->run.robustness = NULL;
    cr_assert_eq(report_export_csv(&s_fixture->run, s_directory, &error), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/robustness.csv", s_directory);
    cr_assert_neq(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/awards.csv", s_directory);
    cr_assert_eq(access(path, F_OK), 0);
}

static const char *const s_files[] = {
    "index.html",         "province.html",      "city-130100.html",   "city-130200.html",
    "county-130102.html", "county-130104.html", "county-130105.html", "county-130202.html",
    "county-130203.html", "results.csv",        "points.csv",         "changes.csv",
    "gaps.csv",           "awards.csv",         "robustness.csv",     "result.json",
};

Test(report, writing_everything_twice_gives_identical_bytes)
{
    kc_error_t error = {0};
    char first[256];
    char second[256];
    snprintf(first, sizeof first, "%s/one/out", s_directory);
    snprintf(second, sizeof second, "%s/two/out", s_directory);
    cr_assert_eq(report_write_all(&s_fixture->run, first, &error), 0, "%s", error.message);
    cr_assert_eq(report_write_all(&s_fixture->run, second, &error), 0, "%s", error.message);
    for (size_t i = 0; i < sizeof s_files / sizeof s_files[0]; i++) {
        char path[512];
        size_t size_one;
        size_t size_two;
        snprintf(path, sizeof path, "%s/%s", first, s_files[i]);
        char *one = s_slurp(path, &size_one);
        snprintf(path, sizeof path, "%s/%s", second, s_files[i]);
        char *two = s_slurp(path, &size_two);
        cr_assert_gt(size_one, 0, "%s is empty", s_files[i]);
        cr_assert_eq(size_one, size_two, "%s differs in size", s_files[i]);
        cr_assert_eq(memcmp(one, two, size_one), 0, "%s differs", s_files[i]);
        if (strcmp(s_files[i], "result.json") == 0) {
            cr_assert_str_eq(one, "{\"year\":2023}\n");
        }
        free(one);
        free(two);
    }
}

Test(report, writing_into_an_impossible_directory_names_the_path)
{
    kc_error_t error = {0};
    char blocker[256];
    char target[300];
    snprintf(blocker, sizeof blocker, "%s/file", s_directory);
    FILE *file = fopen(blocker, "w");
    cr_assert_not_null(file);
    fclose(file);
    snprintf(target, sizeof target, "%s/sub", blocker);
    cr_assert_eq(report_write_all(&s_fixture->run, target, &error), -1);
    cr_assert_eq(error.code, KC_ERR_INPUT);
    cr_assert_str_eq(error.field, blocker);
    cr_assert_not_null(strstr(error.message, blocker));
}
