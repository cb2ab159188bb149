/*  Unit tests of the reports and exports (services/scoring/report_*.c),
 *  on the hand-built run of report_fixture.h (5 counties, 3 years).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_fixture.h"
#include "scoring/report.h"
#include "scoring/report_csv.h"
#include "scoring/report_html.h"

TestSuite(report, .init = report_fixture_setup, .fini = report_fixture_teardown);

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
    char *html = report_fixture_render(report_result_html);
    report_fixture_find(html, NULL, "<title>河北省2023年度县域科技创新能力监测评价结果</title>");
    report_fixture_find(html, NULL, "test-v1");
    report_fixture_find(html, NULL,
                        "0000000000000000000000000000000000000000000000000000000000000002");
    /* A: 长安区 85.50 before 桥西区 80.00; B: 新<&>县 70.00 before 甲,"乙"县 65.00; C: 路南区 */
    const char *at = report_fixture_find(html, NULL, "A类（第一梯队）2个");
    at = report_fixture_find(html, at, "长安区");
    at = report_fixture_find(html, at, "85.50");
    at = report_fixture_find(html, at, "桥西区");
    at = report_fixture_find(html, at, "80.00");
    at = report_fixture_find(html, at, "B类（第二梯队）2个");
    at = report_fixture_find(html, at, "新&lt;&amp;&gt;县");
    at = report_fixture_find(html, at, "70.00");
    at = report_fixture_find(html, at, "甲,&quot;乙&quot;县");
    at = report_fixture_find(html, at, "65.00");
    at = report_fixture_find(html, at, "C类（第三梯队）1个");
    at = report_fixture_find(html, at, "路南区");
    report_fixture_find(html, at, "59.95");
    cr_assert_null(strstr(html, "新<&>县"), "a county name went out unescaped");
    cr_assert_null(strstr(html, "甲,\"乙\"县"), "a county name went out unescaped");
    report_fixture_find(html, NULL, "href=\"county-130105.html\"");
    report_fixture_find(html, NULL, "href=\"city-130200.html\"");
    free(html);
}

Test(report, published_result_shows_flagged_values_and_capped_rewards)
{
    char *html = report_fixture_render(report_result_html);
    /* 路南区 I03 carried forward (value 2399 / 4 = 599.75), 新<&>县 I01 jumped */
    const char *at = report_fixture_find(html, NULL, "<h2>数据标记</h2>");
    at = report_fixture_find(html, at, "新&lt;&amp;&gt;县");
    at = report_fixture_find(html, at, "同比异常待复核");
    at = report_fixture_find(html, at, "路南区");
    at = report_fixture_find(html, at, "599.75件");
    at = report_fixture_find(html, at, "上年数据结转");
    report_fixture_find(html, at, "共2项数据存在标记");
    /* 桥西区: 300 + 300 = 600 capped at 500; total paid 300 + 500 + 200 = 1000 */
    at = report_fixture_find(html, NULL, "<h2>跃升奖励</h2>");
    at = report_fixture_find(html, at, "由B类跃升到A类（300万元）");
    at = report_fixture_find(html, at, "多项奖励合计600万元，按最高500万元计奖");
    report_fixture_find(html, at, "共3个县获得奖励，合计1000万元");
    free(html);
}

Test(report, province_report_draws_charts_and_compares_with_last_year)
{
    char *html = report_fixture_render(report_province_html);
    report_fixture_find(html, NULL, "<title>《河北省县域科技创新年度评估报告》</title>");
    /* mean 2023 = 36045 / 5 = 7209; 2022 = 35300 / 5 = 7060; +1.49 */
    report_fixture_find(html, NULL, "平均得分72.09分，上年70.60分，提高1.49分。");
    /* classes 2022 A1 B3 C1, 2023 A2 B2 C1 */
    report_fixture_find(html, NULL, "A类县较上年增加1个，B类县较上年减少1个，C类县与上年持平。");
    const char *at = report_fixture_find(html, NULL, "<svg");
    at = report_fixture_find(html, at, "2021年 A类：1个");
    at = report_fixture_find(html, at, "2023年 B类：2个");
    /* 59.95 lies in 55-60, 80.00 in 80-85 (lower edge included) */
    at = report_fixture_find(html, at, "55～60分：1个县");
    at = report_fixture_find(html, at, "80～85分：1个县");
    at = report_fixture_find(html, at, "A类线80.00");
    /* 石家庄市 23550 / 3 = 7850; 唐山市 12495 / 2 = 6247.5 -> 6248 (half up) */
    at = report_fixture_find(html, at, "78.50");
    at = report_fixture_find(html, at, "62.48");
    /* the city table lists average subtotals beside average totals */
    report_fixture_find(html, at, "注：部分指标得分经四舍五入，分项之和与总分可能存在尾差。");
    /* uncertain classes (own-class probability < 0.9): 桥西区 55 %, 路南区 52 % */
    const char *robust = report_fixture_find(html, NULL, "<h2>稳健性分析</h2>");
    const char *advice = report_fixture_find(html, robust, "<h2>分析与建议</h2>");
    const char *qiaoxi = report_fixture_find(html, robust, "桥西区");
    const char *lunan = report_fixture_find(html, robust, "路南区");
    cr_assert(qiaoxi < advice && lunan < advice);
    const char *changan = strstr(robust, "长安区");
    cr_assert(changan == NULL || changan > advice, "a stable county listed as uncertain");
    /* 路南区 I03 carried forward, 新<&>县 I01 jumped; 路南区 is 0.05 from B */
    at = report_fixture_find(html, advice, "<li>本年度有1项数据未按期报送");
    at = report_fixture_find(html, at, "<li>有1项数据同比变化异常");
    cr_assert_null(strstr(html, "&lt;li"));
    report_fixture_find(html, advice,
                        "有望实现跃升的县：<a href=\"county-130202.html\">路南区</a>，共1个");
    free(html);
}

Test(report, province_report_names_the_biggest_movers_and_their_cause)
{
    char *html = report_fixture_render(report_province_html);
    /* 甲,"乙"县: rank 5 -> 4, delta 1000 split 300/300/400: I03 (+4.00) is the main cause */
    const char *at = report_fixture_find(html, NULL, "排名提升较多的县");
    at = report_fixture_find(html, at, "甲,&quot;乙&quot;县");
    at = report_fixture_find(html, at, "+10.00");
    at = report_fixture_find(html, at, "发明专利拥有量（+4.00分）");
    /* 路南区: rank 4 -> 5, 5995 - 6200 = -2.05: I03 2399 - 2480 = -0.81 */
    at = report_fixture_find(html, at, "排名下降较多的县");
    at = report_fixture_find(html, at, "路南区");
    report_fixture_find(html, at, "发明专利拥有量（-0.81分）");
    free(html);
}

Test(report, city_report_covers_only_the_counties_of_the_city)
{
    char *html = report_fixture_city("130200");
    report_fixture_find(html, NULL, "《唐山市县域科技创新年度评估报告》");
    /* 唐山市 2023: mean 6248, 2022: (6200 + 5500) / 2 = 5850 */
    report_fixture_find(html, NULL, "平均得分62.48分，上年58.50分，提高3.98分。");
    const char *at = report_fixture_find(html, NULL, "<h2>各县得分情况</h2>");
    at = report_fixture_find(html, at, "甲,&quot;乙&quot;县");
    report_fixture_find(html, at, "路南区");
    cr_assert_null(strstr(html, "长安区"));
    cr_assert_null(strstr(html, "新&lt;"));
    free(html);
    char *none = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&none, &size);
    cr_assert_eq(report_city_html(&report_fixture->run, "139900", out), -1);
    fclose(out);
    free(none);
}

Test(report, a_county_the_other_total_rule_would_reclass_is_flagged_on_its_page_and_the_list)
{
    sc_county_result_t *county = &report_fixture->county_results[2][2]; /* 70.00, B */
    county->total = 7993;
    county->klass = 'B';
    county->total_other = 8000; /* its rounded parts add up to 80.00 */
    county->class_other = 'A';
    report_fixture->run.n_class_flagged = 1;
    char *html = report_fixture_county(2);
    report_fixture_find(html, NULL,
                        "提示：若先将各指标得分四舍五入再相加，总分为80.00分，类别为A类；"
                        "本结果按各指标精确得分相加后一次四舍五入，类别为B类。");
    free(html);
    char *index = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&index, &size);
    cr_assert_eq(report_result_html(&report_fixture->run, out), 0);
    fclose(out);
    const char *at = report_fixture_find(index, NULL, "类别取决于总分算法的县 1个");
    report_fixture_find(index, at, "总分为80.00分，类别为A类");
    free(index);
}

Test(report, county_report_shows_charts_indicators_change_gap_and_class_tasks)
{
    char *html = report_fixture_county(2);
    report_fixture_find(html, NULL, "新&lt;&amp;&gt;县2023年度科技创新能力评估报告");
    report_fixture_find(html, NULL, "<td class=\"n\">3 / 5</td>");
    report_fixture_find(html, NULL, "较上年下降5.00分，类别保持B类，全省排名保持第3位。");
    /* parts listed beside a total made from exact values carry the 尾差 note */
    const char *note = report_fixture_find(html, NULL, "<h2>各项指标</h2>");
    report_fixture_find(html, note, "注：部分指标得分经四舍五入，分项之和与总分可能存在尾差。");
    cr_expect_null(strstr(html, "提示：若"), "no class note for a county both rules class alike");
    report_fixture_find(html, NULL, "<polyline");
    /* 2021 rank 2, 2022 rank 3, 2023 rank 3 */
    report_fixture_find(html, NULL, "2021年：2名");
    report_fixture_find(html, NULL, "创新投入 新&lt;&amp;&gt;县：70.0%");
    /* 2023 7000 = 2100 + 2100 + 2800; 2022 7500 = 2250 + 2250 + 3000 */
    const char *at = report_fixture_find(html, NULL, "<h2>得分变化分解</h2>");
    at = report_fixture_find(html, at,
                             "总分较上年下降5.00分，影响最大的指标是“发明专利拥有量”（-2.00分）");
    at = report_fixture_find(html, at, "发明专利拥有量</td><td class=\"n\">-2.00");
    at = report_fixture_find(html, at, "R&amp;D经费投入</td><td class=\"n\">-1.50");
    at = report_fixture_find(html, at, "距A类还差10.00分");
    /* counts are written as integers when integral: 700件, not 700.00件 */
    report_fixture_find(html, at, "需由700件达到1050件（提高50.0%）");
    at = report_fixture_find(html, NULL, "B类县个性任务");
    report_fixture_find(html, at, "改造提升传统产业");
    cr_assert_null(strstr(html, "做大做强主导优势产业"));
    free(html);
}

Test(report, county_report_quotes_the_tasks_of_its_class)
{
    char *a = report_fixture_county(0);
    char *c = report_fixture_county(3);
    char *leap = report_fixture_county(4);
    /* 甲,"乙"县: 55.00 C rank 5 -> 65.00 B rank 4 */
    report_fixture_find(leap, NULL,
                        "较上年提高10.00分，类别由C类升为B类，全省排名由第5位上升至第4位。");
    free(leap);
    report_fixture_find(a, NULL, "做大做强主导优势产业");
    report_fixture_find(a, NULL, "构建完整的创新生态系统");
    report_fixture_find(a, NULL, "本县已位于A类");
    report_fixture_find(c, NULL, "加快培育区域特色产业");
    report_fixture_find(c, NULL, "大力增加科技投入");
    report_fixture_find(c, NULL, "上年数据结转");
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
    cr_assert_eq(report_export_csv(&report_fixture->run, report_fixture_directory, &error), 0, "%s",
                 error.message);
    char path[256];
    snprintf(path, sizeof path, "%s/results.csv", report_fixture_directory);
    char *results = report_fixture_slurp(path, &size);
    static const char header[] = "code,name,city_code,city_name,total,input,output,class,rank,"
                                 "rank_in_city,flag_count,rank_in_province,total_other,"
                                 "class_other,class_flagged,note\r\n";
    cr_assert_eq(strncmp(results, header, strlen(header)), 0);
    /* 6500 = 1950 + 1950 + 2600: subtotals 39.00 and 26.00 */
    report_fixture_find(
        results, NULL,
        "\r\n130203,\"甲,\"\"乙\"\"县\",130200,唐山市,65.00,39.00,26.00,B,4,1,0,4,65.00,B,0,\r\n");
    report_fixture_find(
        results, NULL,
        "\r\n130105,新<&>县,130100,石家庄市,70.00,42.00,28.00,B,3,3,1,3,70.00,B,0,\r\n");
    free(results);
    snprintf(path, sizeof path, "%s/points.csv", report_fixture_directory);
    char *points = report_fixture_slurp(path, &size);
    report_fixture_find(points, NULL, "\r\n130202,I03,599.75,");
    report_fixture_find(points, NULL, ",23.99,40.00,imputed\r\n");
    free(points);
    snprintf(path, sizeof path, "%s/awards.csv", report_fixture_directory);
    char *awards = report_fixture_slurp(path, &size);
    report_fixture_find(
        awards, NULL,
        "\r\n130104,桥西区,leap_b_to_a,300,由2022年度B类跃升到2023年度A类,500,600\r\n");
    free(awards);
    snprintf(path, sizeof path, "%s/gaps.csv", report_fixture_directory);
    char *gaps = report_fixture_slurp(path, &size);
    report_fixture_find(gaps, NULL, "\r\n130105,新<&>县,B,70.00,A,10.00,I03,1050,0.5\r\n");
    report_fixture_find(gaps, NULL, "\r\n130102,长安区,A,85.50,,,,,\r\n");
    free(gaps);
    snprintf(path, sizeof path, "%s/changes.csv", report_fixture_directory);
    char *changes = report_fixture_slurp(path, &size);
    /* 路南区: 4 -> 5, -2.05 = -0.62 - 0.62 - 0.81 (1798 - 1860, 2399 - 2480) */
    report_fixture_find(changes, NULL,
                        "\r\n130202,路南区,1,B,C,4,5,-1,-2.05,I03,-0.62,-0.62,-0.81\r\n");
    free(changes);
    snprintf(path, sizeof path, "%s/robustness.csv", report_fixture_directory);
    char *robustness = report_fixture_slurp(path, &size);
    report_fixture_find(
        robustness, NULL,
        "\r\n130104,桥西区,A,2,1,2,3,0.55000000000000004,0.45000000000000001,0\r\n");
    free(robustness);
}

Test(report, csv_export_leaves_out_robustness_without_monte_carlo)
{
    kc_error_t error = {0};
    report_fixture->run.robustness = NULL;
    cr_assert_eq(report_export_csv(&report_fixture->run, report_fixture_directory, &error), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/robustness.csv", report_fixture_directory);
    cr_assert_neq(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/awards.csv", report_fixture_directory);
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
    snprintf(first, sizeof first, "%s/one/out", report_fixture_directory);
    snprintf(second, sizeof second, "%s/two/out", report_fixture_directory);
    cr_assert_eq(report_write_all(&report_fixture->run, first, &error), 0, "%s", error.message);
    cr_assert_eq(report_write_all(&report_fixture->run, second, &error), 0, "%s", error.message);
    for (size_t i = 0; i < sizeof s_files / sizeof s_files[0]; i++) {
        char path[512];
        size_t size_one;
        size_t size_two;
        snprintf(path, sizeof path, "%s/%s", first, s_files[i]);
        char *one = report_fixture_slurp(path, &size_one);
        snprintf(path, sizeof path, "%s/%s", second, s_files[i]);
        char *two = report_fixture_slurp(path, &size_two);
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
    snprintf(blocker, sizeof blocker, "%s/file", report_fixture_directory);
    FILE *file = fopen(blocker, "w");
    cr_assert_not_null(file);
    fclose(file);
    snprintf(target, sizeof target, "%s/sub", blocker);
    cr_assert_eq(report_write_all(&report_fixture->run, target, &error), -1);
    cr_assert_eq(error.code, KC_ERR_INPUT);
    cr_assert_str_eq(error.field, blocker);
    cr_assert_not_null(strstr(error.message, blocker));
}

Test(report, county_report_shows_class_probabilities_that_add_up_to_one_hundred_percent)
{
    /* 新<&>县: 996.5 / 3.5 / 0 tenths -> 996 + 3 = 999, the tie of the two
     * remainders of 0.5 goes to A: 99.7 + 0.3 + 0.0 = 100.0 */
    report_fixture->robustness[2] = (sc_mc_county_t){1, 1, 2, {0.9965, 0.0035, 0}};
    char *html = report_fixture_county(2);
    report_fixture_find(html, NULL, "属于A类的概率99.7%，B类0.3%，C类0.0%。");
    free(html);
}

Test(report, province_robustness_rows_add_up_to_one_hundred_percent)
{
    /* 桥西区 (A) at a third each: millionths 333333 x 3 = 999999, quotas
     * 333.33: floors 999, equal remainders, A gets the tenth: 33.4 33.3 33.3 */
    report_fixture->robustness[1] = (sc_mc_county_t){1, 2, 4, {1.0 / 3, 1.0 / 3, 1.0 / 3}};
    char *html = report_fixture_render(report_province_html);
    const char *at = report_fixture_find(html, NULL, "<h2>稳健性分析</h2>");
    at = report_fixture_find(html, at, "桥西区");
    report_fixture_find(html, at,
                        "<td class=\"n\">33.4%</td><td class=\"n\">33.3%</td>"
                        "<td class=\"n\">33.3%</td>");
    free(html);
}

Test(report, county_report_writes_each_value_as_its_unit_asks)
{
    /* 路南区 2023: 5995 * 3 / 10 = 1798 points for I01 and I02 -> value
     * 1798 / 4 = 449.5; I03 5995 - 3596 = 2399 -> 599.75 */
    char *html = report_fixture_county(3);
    report_fixture_find(html, NULL, "449.5万元");
    report_fixture_find(html, NULL, "449.50%");
    report_fixture_find(html, NULL, "599.75件");
    free(html);
    /* 新<&>县 2023: 7000 -> 2100, 2100, 2800 points -> 525, 525, 700 */
    html = report_fixture_county(2);
    report_fixture_find(html, NULL, ">525万元<");
    report_fixture_find(html, NULL, ">525.00%<");
    report_fixture_find(html, NULL, ">700件<");
    cr_assert_null(strstr(html, "700.00件"));
    cr_assert_null(strstr(html, "525.00万元"));
    free(html);
}

Test(report, a_fall_is_never_blamed_on_an_indicator_that_rose)
{
    /* 路南区 fell 4 -> 5. Deltas +3.00, -2.50, -2.55 (sum -2.05): the
     * largest |delta| is I01's +3.00, but the cause of a fall is the most
     * negative one, I03 (-2.55). */
    sc_change_t *lunan = &report_fixture->changes[3];
    lunan->indicator_delta[0] = 300;
    lunan->indicator_delta[1] = -250;
    lunan->indicator_delta[2] = -255;
    lunan->main_cause = 0;
    /* 甲,"乙"县 rose 5 -> 4. Deltas -12.00, +11.00, +11.00 (sum +10.00):
     * the largest positive is a tie of I02 and I03, the earlier (I02) wins */
    sc_change_t *jia = &report_fixture->changes[4];
    jia->indicator_delta[0] = -1200;
    jia->indicator_delta[1] = 1100;
    jia->indicator_delta[2] = 1100;
    jia->main_cause = 0;
    char *html = report_fixture_render(report_province_html);
    const char *at = report_fixture_find(html, NULL, "排名提升较多的县");
    at = report_fixture_find(html, at, "研发投入强度（+11.00分）");
    at = report_fixture_find(html, at, "排名下降较多的县");
    at = report_fixture_find(html, at, "路南区");
    report_fixture_find(html, at, "发明专利拥有量（-2.55分）");
    cr_assert_null(strstr(html, "R&amp;D经费投入（"), "a cause against the move was named");
    free(html);
}

Test(report, a_move_against_the_own_total_is_explained_by_the_other_counties)
{
    /* 路南区 fell 4 -> 5 while its total rose by 1.20 (+1.00 +0.50 -0.30) */
    sc_change_t *lunan = &report_fixture->changes[3];
    lunan->total_delta = 120;
    lunan->indicator_delta[0] = 100;
    lunan->indicator_delta[1] = 50;
    lunan->indicator_delta[2] = -30;
    /* 甲,"乙"县 rose 5 -> 4 while its total fell by 1.00 */
    sc_change_t *jia = &report_fixture->changes[4];
    jia->total_delta = -100;
    jia->indicator_delta[0] = -100;
    jia->indicator_delta[1] = 0;
    jia->indicator_delta[2] = 0;
    char *html = report_fixture_render(report_province_html);
    const char *at = report_fixture_find(html, NULL, "排名提升较多的县");
    at = report_fixture_find(html, at, "总分下降1.00分，但其他县降幅更大");
    at = report_fixture_find(html, at, "排名下降较多的县");
    report_fixture_find(html, at, "总分上升1.20分，但被其他县超过");
    cr_assert_null(strstr(html, "分）</td></tr>"), "an indicator was named as the cause");
    free(html);
}

Test(report, a_missing_rating_is_not_called_late_data)
{
    /* I03 becomes a rated item: 路南区's carried-forward I03 lacked raters.
     * 长安区's I01 (quantitative) was not reported at all. */
    report_fixture->m.indicators[2].qualitative = true;
    report_fixture->county_results[2][0].flags[0] = SC_FLAG_MISSING;
    char *province = report_fixture_render(report_province_html);
    const char *at = report_fixture_find(province, NULL, "<h2>分析与建议</h2>");
    at = report_fixture_find(province, at, "<li>本年度有1项数据未按期报送");
    report_fixture_find(province, at, "<li>有1项定性指标专家评分不足");
    free(province);
    char *index = report_fixture_render(report_result_html);
    at = report_fixture_find(index, NULL, "<h2>数据标记</h2>");
    at = report_fixture_find(index, at, "长安区");
    at = report_fixture_find(index, at, "<td class=\"flag\">未报送</td>");
    at = report_fixture_find(index, at, "路南区");
    report_fixture_find(index, at, "<td class=\"flag\">专家评分不足，结转上年评分</td>");
    free(index);
    char *county = report_fixture_county(3);
    report_fixture_find(county, NULL, "<td class=\"flag\">专家评分不足，结转上年评分</td>");
    cr_assert_null(strstr(county, "上年数据结转"));
    free(county);
}

Test(report, published_result_names_the_methodology_once_by_title_and_code)
{
    char *html = report_fixture_render(report_result_html);
    report_fixture_find(html, NULL, "<p class=\"sub\">评价方法：测试评价方法（test-v1）</p>");
    cr_assert_eq(report_fixture_count(html, "test-v1"), 1);
    cr_assert_null(strstr(html, "评价方法代码"));
    /* the hashes stay, once, in the footer */
    cr_assert_eq(report_fixture_count(html, "输入数据 SHA-256"), 1);
    cr_assert_eq(report_fixture_count(html, "结果数据 SHA-256"), 1);
    report_fixture_find(html, NULL, "<footer>\n<p>奖励政策：test-leap</p>");
    free(html);
    /* the other pages keep it in their footer */
    html = report_fixture_render(report_province_html);
    report_fixture_find(html, NULL,
                        "<footer>\n<p>评价方法：测试评价方法（test-v1）；奖励政策：test-leap");
    free(html);
}
