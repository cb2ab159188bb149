/*  report_html: page skeleton, escaping and number formatting shared by the
 *  report pages (see report_html.h).
 *
 *  The style sheet is a constant string so that every page of every run
 *  carries the same bytes; it keeps tables scrollable on a narrow screen
 *  and drops the navigation links when printed.
 */
#include "scoring/report_html.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/report_figures.h"

static const char s_style[] =
    "body{margin:0;background:#fff;color:#222;line-height:1.6;"
    "font-family:\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\","
    "\"Noto Sans CJK SC\",\"Source Han Sans SC\",sans-serif}\n"
    "main{max-width:960px;margin:0 auto;padding:12px 16px 32px}\n"
    "h1{font-size:1.5em;margin:.6em 0 .2em;color:#0d3c61}\n"
    "h2{font-size:1.2em;margin:1.4em 0 .4em;padding-bottom:.2em;border-bottom:2px solid #0d3c61}\n"
    "h3{font-size:1.05em;margin:1em 0 .3em}\n"
    ".sub{color:#555;margin:0 0 1em}\n"
    ".t{overflow-x:auto;-webkit-overflow-scrolling:touch}\n"
    "table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em;min-width:60%}\n"
    "th,td{border:1px solid #bbb;padding:3px 8px;vertical-align:top}\n"
    "th{background:#e8eef4;font-weight:600;text-align:center}\n"
    "td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    ".A{color:#1b5e20}.B{color:#8d6e00}.C{color:#b71c1c}\n"
    ".flag{color:#b71c1c}\n"
    ".note{color:#555;font-size:.9em}\n"
    "svg{display:block;width:100%;max-width:720px;height:auto;margin:.4em 0 1em}\n"
    "nav a{margin-right:1em}\n"
    "footer{margin-top:2em;padding-top:.6em;border-top:1px solid #bbb;color:#555;"
    "font-size:.82em;word-break:break-all}\n"
    "@media print{nav{display:none}main{max-width:none}h2{break-after:avoid}"
    "table,svg{break-inside:avoid}}\n";

void report_html_begin(FILE *out, const char *title, const char *subtitle)
{
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    report_html_text(out, title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<h1>", s_style);
    report_html_text(out, title);
    fputs("</h1>\n", out);
    if (subtitle != NULL && subtitle[0] != '\0') {
        fputs("<p class=\"sub\">", out);
        report_html_text(out, subtitle);
        fputs("</p>\n", out);
    }
}

void report_html_nav(FILE *out, const sc_run_t *run)
{
    size_t *first = calloc(run->input->n_counties + 1, sizeof *first);
    if (first == NULL) {
        abort(); /* out of memory: the project's allocation policy */
    }
    size_t n = report_figures_cities(run->input, first);
    fputs("<nav><a href=\"index.html\">监测评价结果</a><a href=\"province.html\">全省评估报告</a>",
          out);
    for (size_t c = 0; c < n; c++) {
        report_html_city_link(out, &run->input->counties[first[c]]);
    }
    fputs("</nav>\n", out);
    free(first);
}

void report_html_county_link(FILE *out, const sc_county_t *county)
{
    fputs("<a href=\"county-", out);
    report_html_text(out, county->code);
    fputs(".html\">", out);
    report_html_text(out, county->name);
    fputs("</a>", out);
}

void report_html_city_link(FILE *out, const sc_county_t *county)
{
    fputs("<a href=\"city-", out);
    report_html_text(out, county->city_code);
    fputs(".html\">", out);
    report_html_text(out, county->city_name);
    fputs("</a>", out);
}

static const char *s_dash_if_empty(const char *text)
{
    return text != NULL && text[0] != '\0' ? text : "—";
}

void report_html_end(FILE *out, const sc_run_t *run)
{
    report_html_end_page(out, run, true);
}

void report_html_end_page(FILE *out, const sc_run_t *run, bool with_methodology)
{
    fputs("<footer>\n<p>", out);
    if (with_methodology) {
        fputs("评价方法：", out);
        report_html_text(out, s_dash_if_empty(run->m->title_zh));
        fputs("（", out);
        report_html_text(out, s_dash_if_empty(run->m->code));
        fputs("）", out);
    }
    if (run->policy != NULL) {
        fputs(with_methodology ? "；奖励政策：" : "奖励政策：", out);
        report_html_text(out, s_dash_if_empty(run->policy->code));
    }
    fputs(with_methodology || run->policy != NULL ? "</p>\n<p>" : "", out);
    fputs("输入数据 SHA-256：", out);
    report_html_text(out, s_dash_if_empty(run->input_sha256));
    fputs("<br>结果数据 SHA-256：", out);
    report_html_text(out, s_dash_if_empty(run->output_sha256));
    fputs("</p>\n<p>本页由监测评价结果自动生成，同一输入与同一评价方法生成的内容逐字节相同。</p>\n"
          "</footer>\n</main>\n</body>\n</html>\n",
          out);
}

void report_html_text(FILE *out, const char *text)
{
    if (text == NULL) {
        return;
    }
    for (const char *p = text; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*p, out);
            break;
        }
    }
}

void report_html_printf(FILE *out, const char *fmt, ...)
{
    char buf[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    report_html_text(out, buf);
}

/* An integer scaled by 10^decimals, printed with that many decimals. */
static const char *s_format_scaled(int64_t scaled, int decimals, bool plus,
                                   char buf[REPORT_NUMBER_MAX])
{
    static const int64_t powers[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    uint64_t magnitude = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    const char *sign = scaled < 0 ? "-" : (plus && scaled > 0 ? "+" : "");
    uint64_t unit = (uint64_t)powers[decimals];
    if (decimals == 0) {
        snprintf(buf, REPORT_NUMBER_MAX, "%s%" PRIu64, sign, magnitude);
    } else {
        snprintf(buf, REPORT_NUMBER_MAX, "%s%" PRIu64 ".%0*" PRIu64, sign, magnitude / unit,
                 decimals, magnitude % unit);
    }
    return buf;
}

const char *report_html_centi(int32_t centi, char buf[REPORT_NUMBER_MAX])
{
    return s_format_scaled(centi, 2, false, buf);
}

const char *report_html_delta(int32_t centi, char buf[REPORT_NUMBER_MAX])
{
    return s_format_scaled(centi, 2, true, buf);
}

/* value * 10^decimals rounded half away from zero; false when not finite
 * or too large to round exactly. */
static bool s_scale(double value, int decimals, int64_t *scaled)
{
    static const double scales[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    double x = value * scales[decimals];
    /* 2^53: beyond it llround no longer rounds anything, and far beyond it overflows */
    if (!isfinite(x) || fabs(x) > 9007199254740992.0) {
        return false;
    }
    *scaled = (int64_t)llround(x);
    return true;
}

const char *report_html_fixed(double value, int decimals, char buf[REPORT_NUMBER_MAX])
{
    int64_t scaled = 0;
    if (decimals < 0) {
        decimals = 0;
    }
    if (decimals > 6) {
        decimals = 6;
    }
    if (!s_scale(value, decimals, &scaled)) {
        snprintf(buf, REPORT_NUMBER_MAX, "—");
        return buf;
    }
    return s_format_scaled(scaled, decimals, false, buf);
}

/* Units whose values read best without trailing zeros: things counted and
 * amounts of money or people ("244家", "53972万元"), and rubric scores. */
static bool s_is_trimmed_unit(const char *unit)
{
    static const char *const units[] = {"家", "个",   "件",   "项",   "人", "名",
                                        "元", "万元", "亿元", "万人", "分"};
    for (size_t i = 0; unit != NULL && i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i]) == 0) {
            return true;
        }
    }
    return false;
}

const char *report_html_value(double value, const char *unit, char buf[REPORT_NUMBER_MAX])
{
    int64_t hundredths = 0;
    if (!s_scale(value, 2, &hundredths)) {
        snprintf(buf, REPORT_NUMBER_MAX, "—");
        return buf;
    }
    if (!s_is_trimmed_unit(unit)) {
        return s_format_scaled(hundredths, 2, false, buf);
    }
    /* drop the zeros on the integer, not on the printed text */
    if (hundredths % 100 == 0) {
        return s_format_scaled(hundredths / 100, 0, false, buf);
    }
    if (hundredths % 10 == 0) {
        return s_format_scaled(hundredths / 10, 1, false, buf);
    }
    return s_format_scaled(hundredths, 2, false, buf);
}

void report_html_shares(const double *fractions, size_t n, int32_t *tenths)
{
    int64_t millionths[16] = {0};
    int64_t remainder[16] = {0};
    bool bumped[16] = {false};
    int64_t sum = 0;
    n = n > 16 ? 16 : n;
    for (size_t i = 0; i < n; i++) {
        double f = fractions[i];
        /* llround is exact here: 0 <= f * 1e6 <= 1e12 after the clamp */
        millionths[i] = isfinite(f) && f > 0 ? (int64_t)llround((f < 1e6 ? f : 1e6) * 1e6) : 0;
        sum += millionths[i];
    }
    int64_t given = 0;
    for (size_t i = 0; i < n; i++) {
        tenths[i] = sum > 0 ? (int32_t)(millionths[i] * 1000 / sum) : 0;
        remainder[i] = sum > 0 ? millionths[i] * 1000 % sum : 0;
        given += tenths[i];
    }
    /* at most n - 1 tenths are missing: the remainders add up to (1000 - given) * sum */
    for (int64_t missing = sum > 0 ? 1000 - given : 0; missing > 0; missing--) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (!bumped[i] && (best == n || remainder[i] > remainder[best])) {
                best = i;
            }
        }
        if (best == n) {
            break;
        }
        bumped[best] = true;
        tenths[best]++;
    }
}

const char *report_html_percent(int64_t part, int64_t whole, char buf[REPORT_NUMBER_MAX])
{
    if (whole <= 0) {
        snprintf(buf, REPORT_NUMBER_MAX, "—");
        return buf;
    }
    /* permille, rounded half away from zero */
    int64_t twice = part * 2000;
    int64_t permille =
        twice >= 0 ? (twice + whole) / (2 * whole) : -((-twice + whole) / (2 * whole));
    s_format_scaled(permille, 1, false, buf);
    size_t length = strlen(buf);
    if (length + 1 < REPORT_NUMBER_MAX) {
        buf[length] = '%';
        buf[length + 1] = '\0';
    }
    return buf;
}

const char *report_html_class_name(char klass)
{
    switch (klass) {
    case 'A':
        return "A类";
    case 'B':
        return "B类";
    case 'C':
        return "C类";
    default:
        return "—";
    }
}

const char *report_html_tail_note(const sc_methodology_t *m)
{
    return m->total_from == SC_TOTAL_EXACT
               ? "注：部分指标得分经四舍五入，分项之和与总分可能存在尾差。"
               : "";
}

void report_html_write_tail_note(FILE *out, const sc_methodology_t *m)
{
    if (!*report_html_tail_note(m))
        return;
    fputs("<p class=\"note\">", out);
    report_html_text(out, report_html_tail_note(m));
    fputs("</p>\n", out);
}

const char *report_html_scope_word(const char *scope_code)
{
    if (strcmp(scope_code, "000000") == 0)
        return "全国";
    return strcmp(scope_code + 2, "0000") == 0 ? "全省" : "全市";
}

const char *report_html_class_rule_note(const sc_methodology_t *m, const sc_county_result_t *result,
                                        char *buf, size_t size)
{
    char number[REPORT_NUMBER_MAX];
    buf[0] = '\0';
    if (result->class_other == result->klass || result->class_other == 0)
        return buf;
    bool exact = m->total_from == SC_TOTAL_EXACT;
    snprintf(buf, size, "提示：若%s，总分为%s分，类别为%s；本结果%s，类别为%s。",
             exact ? "先将各指标得分四舍五入再相加" : "按各指标精确得分相加后一次四舍五入",
             report_html_centi(result->total_other, number),
             report_html_class_name(result->class_other),
             exact ? "按各指标精确得分相加后一次四舍五入" : "按各指标四舍五入后的得分相加",
             report_html_class_name(result->klass));
    return buf;
}

const char *report_html_tier_name(char klass)
{
    switch (klass) {
    case 'A':
        return "第一梯队";
    case 'B':
        return "第二梯队";
    case 'C':
        return "第三梯队";
    default:
        return "";
    }
}

const char *report_html_flag_words(const sc_indicator_t *indicator, uint8_t flags, char *buf,
                                   size_t size)
{
    /* a rated item without this year's value lacks raters, not a report */
    bool rated = indicator != NULL && indicator->qualitative;
    const struct {
        uint8_t bit;
        const char *words;
    } names[] = {
        {SC_FLAG_IMPUTED, rated ? "专家评分不足，结转上年评分" : "上年数据结转"},
        {SC_FLAG_MISSING, rated ? "专家评分不足" : "未报送"},
        {SC_FLAG_JUMP, "同比异常待复核"},
    };
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((flags & names[i].bit) == 0) {
            continue;
        }
        int n = snprintf(buf + used, size - used, "%s%s", used > 0 ? "、" : "", names[i].words);
        if (n < 0 || (size_t)n >= size - used) {
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

const char *report_html_rule_name(const char *rule)
{
    static const struct {
        const char *rule;
        const char *name;
    } names[] = {
        {"baseline_a", "2017年度进入A类"},
        {"top3_a", "进入A类前3名"},
        {"leap_b_to_a", "由B类跃升到A类"},
        {"leap_c_to_b", "由C类跃升到B类"},
        {"leap_c_to_a", "由C类跃升到A类"},
        {"rank_up_10", "类别未跃升但排名提高10位（含）以上"},
        {"rank_up_5", "类别未跃升但排名提高5－9位"},
        {"releap_none", "降级后又跃升至同等类别，不予奖励"},
        {"cap", "年度奖励封顶"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(rule, names[i].rule) == 0) {
            return names[i].name;
        }
    }
    return rule;
}
