/*  kc_calendar_date: days since the epoch, weekdays and real dates.
 *
 *  Hinnant's algorithms take the year to start on 1 March so that the leap
 *  day falls at its end; see kc_calendar_date.h.
 */
#include "kc_calendar_date.h"

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = s_floor_div(y, 400);
    const int64_t yoe = y - era * 400;                                   /* [0, 399] */
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

int64_t kc_calendar_days_of(int yyyymmdd)
{
    return s_days_from_civil(yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
}

int kc_calendar_date_of(int64_t z)
{
    z += 719468;
    const int64_t era = s_floor_div(z, 146097);
    const int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    const int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y < 1 || y > 9999)
        return -1;
    return (int)y * 10000 + m * 100 + d;
}

int kc_calendar_weekday(int64_t z)
{
    return (int)(z + 4 - s_floor_div(z + 4, 7) * 7);
}

bool kc_calendar_is_weekend(int yyyymmdd)
{
    int weekday = kc_calendar_weekday(kc_calendar_days_of(yyyymmdd));
    return weekday == 0 || weekday == 6;
}

bool kc_calendar_date_valid(int yyyymmdd)
{
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
    if (yyyymmdd < 0 || y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= month_days[m - 1] + (m == 2 && leap);
}

int kc_calendar_add_days(int yyyymmdd, int days)
{
    return kc_calendar_date_of(kc_calendar_days_of(yyyymmdd) + days);
}
