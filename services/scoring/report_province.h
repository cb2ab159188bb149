/*  report_province: the sections of the annual evaluation report that the
 *  province report and each city's report share (private to
 *  services/scoring/report_*.c). `city_code` NULL means the whole scope.
 */
#ifndef SCORING_REPORT_PROVINCE_H
#define SCORING_REPORT_PROVINCE_H

#include <stdio.h>

#include "scoring/run.h"

/* 总体情况: counties, mean score, classes against last year, in figures and sentences. */
void report_province_overview(const sc_run_t *run, const char *city_code, const char *area_name,
                              FILE *out);

/* 类别分布 over every year of the run and 得分分布 of the year scored, as charts. */
void report_province_charts(const sc_run_t *run, const char *city_code, FILE *out);

/* 排名变化: the biggest rank gains and losses with their main cause. */
void report_province_movers(const sc_run_t *run, const char *city_code, FILE *out);

/* 稳健性: counties whose class is uncertain under other weights (if the run has it). */
void report_province_robustness(const sc_run_t *run, const char *city_code, FILE *out);

/* 分析与建议: sentences generated from the figures. */
void report_province_advice(const sc_run_t *run, const char *city_code, FILE *out);

#endif
