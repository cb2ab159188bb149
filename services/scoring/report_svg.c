/*  report_svg: inline SVG charts for the report pages (see report_svg.h).
 *
 *  Every chart uses the same 640 x 300 frame: a legend along the top, the
 *  plot between X0..X1 and Y_TOP..Y_BOTTOM, group labels underneath. The
 *  y axis is scaled to a "nice" step (1, 2 or 5 times a power of ten) so
 *  the grid lines fall on round numbers.
 */
#include "scoring/report_svg.h"

#include <math.h>
#include <string.h>

#include "scoring/report_html.h"

#define S_WIDTH    640
#define S_HEIGHT   300
#define S_X0       56.0
#define S_X1       624.0
#define S_Y_TOP    44.0
#define S_Y_BOTTOM 250.0

static const char *const s_palette[] = {"#2e7d32", "#f9a825", "#c62828",
                                        "#1565c0", "#90a4ae", "#6a1b9a"};

static const char *s_pick_colour(const report_chart_t *chart, size_t series)
{
    if (chart->colours != NULL) {
        return chart->colours[series];
    }
    return s_palette[series % (sizeof s_palette / sizeof s_palette[0])];
}

static long s_round_px(double value)
{
    return lround(value);
}

/* Approximate width of a label: CJK characters are about a full em, ASCII half. */
static double s_measure_text(const char *text)
{
    double width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p < 0x80) {
            width += 7;
        } else if (*p >= 0xC0) {
            width += 12;
        }
    }
    return width;
}

static void s_open_svg(FILE *out, const report_chart_t *chart)
{
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "font-size=\"12\" font-family=\"sans-serif\" aria-label=\"",
            S_WIDTH, S_HEIGHT);
    report_html_text(out, chart->title);
    fputs("\">\n<title>", out);
    report_html_text(out, chart->title);
    fputs("</title>\n", out);
}

static void s_draw_legend(FILE *out, const report_chart_t *chart)
{
    double x = S_X0;
    for (size_t s = 0; s < chart->n_series && chart->n_series > 1; s++) {
        fprintf(out, "<rect x=\"%ld\" y=\"8\" width=\"12\" height=\"12\" fill=\"%s\"/>",
                s_round_px(x), s_pick_colour(chart, s));
        fprintf(out, "<text x=\"%ld\" y=\"19\">", s_round_px(x + 16));
        report_html_text(out, chart->series[s]);
        fputs("</text>\n", out);
        x += 16 + s_measure_text(chart->series[s]) + 18;
    }
}

static double s_choose_step(double max)
{
    double step = 1;
    while (max / step > 5) {
        double base = step;
        step = base * 2;
        if (max / step <= 5) {
            break;
        }
        step = base * 5;
        if (max / step <= 5) {
            break;
        }
        step = base * 10;
    }
    return step;
}

static double s_map_y(double value, double y_max)
{
    return S_Y_BOTTOM - value / y_max * (S_Y_BOTTOM - S_Y_TOP);
}

/* Grid lines and labels from 0 to y_max every `step`. */
static void s_draw_y_axis(FILE *out, double y_max, double step)
{
    char number[REPORT_NUMBER_MAX];
    for (double tick = 0; tick <= y_max + 1e-9; tick += step) {
        long y = s_round_px(s_map_y(tick, y_max));
        fprintf(out, "<line x1=\"%ld\" y1=\"%ld\" x2=\"%ld\" y2=\"%ld\" stroke=\"#ddd\"/>",
                s_round_px(S_X0), y, s_round_px(S_X1), y);
        fprintf(out, "<text x=\"%ld\" y=\"%ld\" text-anchor=\"end\">%s</text>\n",
                s_round_px(S_X0 - 6), y + 4, report_html_fixed(tick, 0, number));
    }
    fprintf(out, "<line x1=\"%ld\" y1=\"%ld\" x2=\"%ld\" y2=\"%ld\" stroke=\"#444\"/>\n",
            s_round_px(S_X0), s_round_px(S_Y_BOTTOM), s_round_px(S_X1), s_round_px(S_Y_BOTTOM));
}

static void s_draw_group_labels(FILE *out, const report_chart_t *chart)
{
    double width = (S_X1 - S_X0) / (double)chart->n_groups;
    for (size_t g = 0; g < chart->n_groups; g++) {
        fprintf(out, "<text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\">",
                s_round_px(S_X0 + width * ((double)g + 0.5)), s_round_px(S_Y_BOTTOM + 18));
        report_html_text(out, chart->groups[g]);
        fputs("</text>\n", out);
    }
}

/* <title> tooltip: "2023年 A类：2个". */
static void s_write_tooltip(FILE *out, const report_chart_t *chart, size_t group, size_t series,
                            double value)
{
    char number[REPORT_NUMBER_MAX];
    fputs("<title>", out);
    report_html_text(out, chart->groups[group]);
    if (chart->n_series > 1) {
        fputs(" ", out);
        report_html_text(out, chart->series[series]);
    }
    fputs("：", out);
    report_html_text(out, report_html_fixed(value, chart->decimals, number));
    report_html_text(out, chart->unit);
    fputs("</title>", out);
}

static double s_find_max_stack(const report_chart_t *chart)
{
    double max = 0;
    for (size_t g = 0; g < chart->n_groups; g++) {
        double sum = 0;
        for (size_t s = 0; s < chart->n_series; s++) {
            sum += chart->values[g * chart->n_series + s];
        }
        max = fmax(max, sum);
    }
    return max;
}

void report_svg_stacked_bars(FILE *out, const report_chart_t *chart)
{
    char number[REPORT_NUMBER_MAX];
    double step = s_choose_step(fmax(s_find_max_stack(chart), 1));
    double y_max = ceil(fmax(s_find_max_stack(chart), 1) / step) * step;
    double width = (S_X1 - S_X0) / (double)(chart->n_groups > 0 ? chart->n_groups : 1);
    double bar = fmin(width * 0.6, 80);
    s_open_svg(out, chart);
    s_draw_legend(out, chart);
    s_draw_y_axis(out, y_max, step);
    for (size_t g = 0; g < chart->n_groups; g++) {
        double x = S_X0 + width * ((double)g + 0.5) - bar / 2;
        double base = 0;
        for (size_t s = 0; s < chart->n_series; s++) {
            double value = chart->values[g * chart->n_series + s];
            if (value <= 0) {
                continue;
            }
            long top = s_round_px(s_map_y(base + value, y_max));
            long bottom = s_round_px(s_map_y(base, y_max));
            fprintf(out, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" fill=\"%s\">",
                    s_round_px(x), top, s_round_px(bar), bottom - top, s_pick_colour(chart, s));
            s_write_tooltip(out, chart, g, s, value);
            fputs("</rect>", out);
            if (bottom - top >= 14) {
                fprintf(out,
                        "<text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\" fill=\"#fff\">%s</text>",
                        s_round_px(x + bar / 2), (top + bottom) / 2 + 4,
                        report_html_fixed(value, chart->decimals, number));
            }
            fputs("\n", out);
            base += value;
        }
    }
    s_draw_group_labels(out, chart);
    fputs("</svg>\n", out);
}

void report_svg_grouped_bars(FILE *out, const report_chart_t *chart, double y_max)
{
    char number[REPORT_NUMBER_MAX];
    double width = (S_X1 - S_X0) / (double)(chart->n_groups > 0 ? chart->n_groups : 1);
    double bar = width * 0.8 / (double)(chart->n_series > 0 ? chart->n_series : 1);
    y_max = fmax(y_max, 1);
    s_open_svg(out, chart);
    s_draw_legend(out, chart);
    s_draw_y_axis(out, y_max, s_choose_step(y_max));
    for (size_t g = 0; g < chart->n_groups; g++) {
        for (size_t s = 0; s < chart->n_series; s++) {
            double value = fmin(fmax(chart->values[g * chart->n_series + s], 0), y_max);
            double x = S_X0 + width * (double)g + width * 0.1 + bar * (double)s;
            long top = s_round_px(s_map_y(value, y_max));
            fprintf(out, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" fill=\"%s\">",
                    s_round_px(x), top, s_round_px(bar - 2), s_round_px(S_Y_BOTTOM) - top,
                    s_pick_colour(chart, s));
            s_write_tooltip(out, chart, g, s, chart->values[g * chart->n_series + s]);
            fprintf(
                out,
                "</rect><text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\" "
                "font-size=\"10\">%s</text>\n",
                s_round_px(x + (bar - 2) / 2), top - 3,
                report_html_fixed(chart->values[g * chart->n_series + s], chart->decimals, number));
        }
    }
    s_draw_group_labels(out, chart);
    fputs("</svg>\n", out);
}

static void s_draw_marks(FILE *out, double x_min, double x_max, const double *marks,
                         const char *const *mark_labels, size_t n_marks)
{
    for (size_t i = 0; i < n_marks; i++) {
        long x = s_round_px(S_X0 + (marks[i] - x_min) / (x_max - x_min) * (S_X1 - S_X0));
        fprintf(out,
                "<line x1=\"%ld\" y1=\"%ld\" x2=\"%ld\" y2=\"%ld\" stroke=\"#b71c1c\" "
                "stroke-dasharray=\"5,4\"/><text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\" "
                "fill=\"#b71c1c\">",
                x, s_round_px(S_Y_TOP - 14), x, s_round_px(S_Y_BOTTOM), x,
                s_round_px(S_Y_TOP - 18));
        report_html_text(out, mark_labels[i]);
        fputs("</text>\n", out);
    }
}

void report_svg_histogram(FILE *out, const report_chart_t *chart, double x_min, double x_max,
                          const double *marks, const char *const *mark_labels, size_t n_marks)
{
    char number[REPORT_NUMBER_MAX];
    double max = 1;
    for (size_t g = 0; g < chart->n_groups; g++) {
        max = fmax(max, chart->values[g]);
    }
    double step = s_choose_step(max);
    double y_max = ceil(max / step) * step;
    double width = (S_X1 - S_X0) / (double)(chart->n_groups > 0 ? chart->n_groups : 1);
    s_open_svg(out, chart);
    s_draw_y_axis(out, y_max, step);
    for (size_t g = 0; g < chart->n_groups; g++) {
        double value = chart->values[g];
        long x = s_round_px(S_X0 + width * (double)g);
        if (value > 0) {
            long top = s_round_px(s_map_y(value, y_max));
            fprintf(out, "<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"%ld\" fill=\"%s\">",
                    x + 1, top, s_round_px(width) - 2, s_round_px(S_Y_BOTTOM) - top,
                    s_pick_colour(chart, 3));
            s_write_tooltip(out, chart, g, 0, value);
            fprintf(out, "</rect><text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\">%s</text>\n",
                    s_round_px(S_X0 + width * ((double)g + 0.5)), top - 3,
                    report_html_fixed(value, chart->decimals, number));
        }
        if (g % 2 == 0) {
            double edge = x_min + (x_max - x_min) * (double)g / (double)chart->n_groups;
            fprintf(out, "<text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\">%s</text>\n", x,
                    s_round_px(S_Y_BOTTOM + 18), report_html_fixed(edge, 0, number));
        }
    }
    fprintf(out, "<text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\">%s</text>\n", s_round_px(S_X1),
            s_round_px(S_Y_BOTTOM + 18), report_html_fixed(x_max, 0, number));
    s_draw_marks(out, x_min, x_max, marks, mark_labels, n_marks);
    fputs("</svg>\n", out);
}

/* y of a value on the line chart's axis from 1 to y_max. */
static double s_map_line_y(double value, double y_max, bool inverted)
{
    double share = y_max > 1 ? (value - 1) / (y_max - 1) : 0.5;
    return inverted ? S_Y_TOP + share * (S_Y_BOTTOM - S_Y_TOP)
                    : S_Y_BOTTOM - share * (S_Y_BOTTOM - S_Y_TOP);
}

static void s_draw_line_axis(FILE *out, double y_max, bool inverted)
{
    char number[REPORT_NUMBER_MAX];
    double step = s_choose_step(fmax(y_max - 1, 1));
    for (double tick = 1; tick <= y_max + 1e-9;
         tick = (tick == 1 && step > 1) ? step : tick + step) {
        long y = s_round_px(s_map_line_y(tick, y_max, inverted));
        fprintf(out,
                "<line x1=\"%ld\" y1=\"%ld\" x2=\"%ld\" y2=\"%ld\" stroke=\"#ddd\"/>"
                "<text x=\"%ld\" y=\"%ld\" text-anchor=\"end\">%s</text>\n",
                s_round_px(S_X0), y, s_round_px(S_X1), y, s_round_px(S_X0 - 6), y + 4,
                report_html_fixed(tick, 0, number));
    }
}

void report_svg_line(FILE *out, const report_chart_t *chart, double y_max, bool inverted)
{
    char number[REPORT_NUMBER_MAX];
    double width = (S_X1 - S_X0) / (double)(chart->n_groups > 0 ? chart->n_groups : 1);
    y_max = fmax(y_max, 1);
    s_open_svg(out, chart);
    s_draw_line_axis(out, y_max, inverted);
    bool open = false;
    for (size_t g = 0; g < chart->n_groups; g++) {
        double value = chart->values[g];
        if (value <= 0) {
            fputs(open ? "\"/>\n" : "", out);
            open = false;
            continue;
        }
        fprintf(out, "%s%ld,%ld",
                open ? " "
                     : "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"",
                s_round_px(S_X0 + width * ((double)g + 0.5)),
                s_round_px(s_map_line_y(value, y_max, inverted)));
        open = true;
    }
    fputs(open ? "\"/>\n" : "", out);
    for (size_t g = 0; g < chart->n_groups; g++) {
        double value = chart->values[g];
        if (value <= 0) {
            continue;
        }
        long x = s_round_px(S_X0 + width * ((double)g + 0.5));
        long y = s_round_px(s_map_line_y(value, y_max, inverted));
        fprintf(out, "<circle cx=\"%ld\" cy=\"%ld\" r=\"4\" fill=\"#1565c0\">", x, y);
        s_write_tooltip(out, chart, g, 0, value);
        fprintf(out, "</circle><text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\">%s</text>\n", x,
                y - 8, report_html_fixed(value, chart->decimals, number));
    }
    s_draw_group_labels(out, chart);
    fputs("</svg>\n", out);
}
