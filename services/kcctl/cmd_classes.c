/*  cmd_classes: the published classes a node holds.
 *
 *    kcctl classes [--year YEAR]
 *
 *  Every county's published class, score, ranks and reward: those this
 *  node published itself (kcctl publish) and those that came down from
 *  its parent (published_class, deploy/sql/0013_federation.sql), each
 *  with where it came from. A county's node sees its own; a city's, its
 *  counties'.
 */
#include <stdio.h>

#include "kc/kc_db.h"
#include "kcctl/kcctl.h"

static const char *s_classes_sql =
    "SELECT year, scope_code, county_code, coalesce(d.name, ''), class,"
    "       to_char(total / 100.0, 'FM990.00'), rank, rank_in_city, reward, source"
    "  FROM (SELECT s.year, s.scope_code, r.county_code, r.class, r.total, r.rank,"
    "               r.rank_in_city, r.reward, 'this node, run ' || p.run_id || ' ('"
    "               || s.methodology || ', ' || s.policy || ')' AS source"
    "          FROM scoring_publication p JOIN scoring_run s ON s.id = p.run_id"
    "          JOIN scoring_result r ON r.run_id = p.run_id"
    "        UNION ALL"
    "        SELECT year, scope_code, county_code, class, total, rank, rank_in_city, reward,"
    "               'node ' || origin_division || ', run ' || run_id"
    "          FROM published_class) c"
    "  LEFT JOIN LATERAL (SELECT name FROM division WHERE code = c.county_code"
    "                      ORDER BY valid_to DESC LIMIT 1) d ON true"
    " WHERE $1::int = 0 OR year = $1::int"
    " ORDER BY year DESC, scope_code, rank, county_code";

int kcctl_classes(kcctl_t *self)
{
    if (self->positional_count != 0) {
        fprintf(stderr, "usage: kcctl classes [--year YEAR]\n");
        return -1;
    }
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl classes", &error);
    PGresult *rows = NULL;
    char year[16];
    snprintf(year, sizeof year, "%d", self->year);
    const char *params[1] = {year};
    if (!conn || kc_db_run(conn, s_classes_sql, 1, params, NULL, NULL,
                           "reading the published classes", &rows, &error)) {
        kcctl_print_error(&error);
        kc_db_disconnect(&conn);
        return -1;
    }
    printf("%d published class%s on this node\n", PQntuples(rows),
           PQntuples(rows) == 1 ? "" : "es");
    for (int i = 0; i < PQntuples(rows); i++)
        printf(
            "  %s %s  %s %-12s %s  %6s points  rank %3s (in its city %s)  reward %s万元  from %s\n",
            PQgetvalue(rows, i, 0), PQgetvalue(rows, i, 1), PQgetvalue(rows, i, 2),
            PQgetvalue(rows, i, 3), PQgetvalue(rows, i, 4), PQgetvalue(rows, i, 5),
            PQgetvalue(rows, i, 6), PQgetvalue(rows, i, 7), PQgetvalue(rows, i, 8),
            PQgetvalue(rows, i, 9));
    PQclear(rows);
    kc_db_disconnect(&conn);
    return 0;
}
