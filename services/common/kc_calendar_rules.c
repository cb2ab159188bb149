/*  kc_calendar_rules: which days the law gives off, year by year.
 *
 *  《全国年节及纪念日放假办法》 gives all citizens seven holidays. The 2013
 *  text, in force for 2014..2024: 元旦 1 day (1 January), 春节 3 (正月初一
 *  to 初三), 清明节 1 (the day of the solar term), 劳动节 1 (1 May), 端午节
 *  1 (五月初五), 中秋节 1 (八月十五), 国庆节 3 (1..3 October). The
 *  revision of November 2024, in force from 2025, adds 除夕 to 春节 (4
 *  days from 除夕) and 2 May to 劳动节. The lunar dates come from the
 *  generated table (kc_calendar_lunar.h); 清明 falls on 4 or 5 April in
 *  this century and is computed with the usual solar-term formula
 *  (day = ⌊0.2422·y + 4.81⌋ − ⌊y/4⌋, y the year within the century),
 *  which the unit tests check against every published year.
 */
#include "kc_calendar_rules.h"

#include <stdbool.h>
#include <string.h>

#include "kc/kc_calendar.h"
#include "kc/kc_calendar_lunar.h"
#include "kc_calendar_date.h"

#define S_REVISION_2024_FROM 2025 /* the first year under the 2024 revision */

const char *const kc_festival_names[KC_FESTIVALS] = {"元旦",   "春节",   "清明节", "劳动节",
                                                     "端午节", "中秋节", "国庆节"};
const char *const kc_festival_keys[KC_FESTIVALS] = {"元旦", "春节", "清明", "劳动",
                                                    "端午", "中秋", "国庆"};

enum { S_NEW_YEAR, S_SPRING, S_QINGMING, S_LABOUR, S_DRAGON_BOAT, S_MID_AUTUMN, S_NATIONAL };

static int s_qingming(int year)
{
    int y = year % 100;
    return year * 10000 + 400 + (y * 2422 + 48100) / 10000 - y / 4;
}

static void s_add(kc_statutory_day_t *out, size_t *n, int festival, int date)
{
    out[(*n)++] = (kc_statutory_day_t){.festival = festival, .date = date};
}

size_t kc_calendar_statutory(int year, kc_statutory_day_t out[KC_STATUTORY_DAYS_MAX])
{
    if (year < KC_CALENDAR_FIRST_YEAR || year > KC_CALENDAR_LAST_YEAR ||
        year < kc_lunar_first_year || year > kc_lunar_last_year)
        return 0;
    const kc_lunar_year_t *lunar = &kc_lunar_years[year - kc_lunar_first_year];
    bool revised = year >= S_REVISION_2024_FROM;
    size_t n = 0;
    s_add(out, &n, S_NEW_YEAR, year * 10000 + 101);
    if (revised)
        s_add(out, &n, S_SPRING, lunar->new_year_eve);
    for (int i = 0; i < 3; i++)
        s_add(out, &n, S_SPRING, kc_calendar_add_days(lunar->spring_festival, i));
    s_add(out, &n, S_QINGMING, s_qingming(year));
    s_add(out, &n, S_LABOUR, year * 10000 + 501);
    if (revised)
        s_add(out, &n, S_LABOUR, year * 10000 + 502);
    s_add(out, &n, S_DRAGON_BOAT, lunar->dragon_boat);
    s_add(out, &n, S_MID_AUTUMN, lunar->mid_autumn);
    for (int i = 1; i <= 3; i++)
        s_add(out, &n, S_NATIONAL, year * 10000 + 1000 + i);
    return n;
}

unsigned kc_calendar_festivals_named(const char *name)
{
    unsigned mask = 0;
    for (int f = 0; f < KC_FESTIVALS; f++)
        if (strstr(name, kc_festival_keys[f]))
            mask |= 1u << f;
    return mask;
}
