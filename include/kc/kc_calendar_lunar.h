/*  kc_calendar_lunar: the Gregorian dates of the lunar festivals, by year.
 *
 *  Generated at build time (services/common/kc_calendar_lunar.py, from
 *  Debian's python3-lunardate) into the build tree: one row a year from
 *  kc_lunar_first_year to kc_lunar_last_year, in order, so that row
 *  `year - kc_lunar_first_year` is that year's.
 */
#ifndef KC_CALENDAR_LUNAR_H
#define KC_CALENDAR_LUNAR_H

typedef struct {
    int year;            /* Gregorian year */
    int new_year_eve;    /* 除夕, yyyymmdd: the day before the first of the first month */
    int spring_festival; /* 春节, 正月初一 */
    int dragon_boat;     /* 端午, 五月初五 */
    int mid_autumn;      /* 中秋, 八月十五 */
} kc_lunar_year_t;

extern const kc_lunar_year_t kc_lunar_years[];
extern const int kc_lunar_first_year;
extern const int kc_lunar_last_year;

#endif
