/*  cmd_link: the state of a node's links, for the operations staff.
 *
 *    kcctl link status   this node, then each peer: whether the link is up
 *                        (heard from in the last 3 s), since when, the
 *                        messages waiting for it and the age of the oldest,
 *                        what was taken from it and what was refused (with
 *                        the latest refusals and their reasons)
 *
 *  It reads the node's database (link_peer, link_outbox, link_inbox:
 *  deploy/sql/0012_link_queues.sql, 0013_federation.sql), so it answers
 *  even when kc-link is down: the links then show as down.
 */
#include <stdio.h>
#include <string.h>

#include "kc/kc_db.h"
#include "kcctl/kcctl.h"

static const char *s_peers_sql =
    "SELECT p.division, p.relation, p.level, p.name,"
    "       CASE WHEN p.heard_at > now() - interval '3 seconds' THEN 'up'"
    "            WHEN p.heard_at IS NULL THEN 'never' ELSE 'down' END,"
    "       CASE WHEN p.heard_at > now() - interval '3 seconds'"
    "            THEN to_char(now() - p.up_since, 'HH24:MI:SS') ELSE '-' END,"
    "       coalesce(to_char(p.heard_at, 'YYYY-MM-DD HH24:MI:SS'), '-'),"
    "       q.depth, coalesce(to_char(extract(epoch FROM now() - q.oldest), 'FM9999999990.0')"
    "                         || ' s', '-'),"
    "       (SELECT count(*) FROM link_inbox i WHERE i.origin_division = p.division"
    "           AND i.outcome = 'taken'),"
    "       (SELECT count(*) FROM link_inbox i WHERE i.origin_division = p.division"
    "           AND i.outcome <> 'taken')"
    "  FROM link_peer p"
    "  CROSS JOIN LATERAL (SELECT count(*) AS depth, min(o.enqueued_at) AS oldest"
    "                        FROM link_outbox o"
    "                       WHERE o.destination = p.relation"
    "                         AND o.peer_division = CASE p.relation WHEN 'child' THEN"
    "                                               p.division ELSE '' END) q"
    " WHERE p.relation <> 'self'"
    " ORDER BY p.relation DESC, p.division";

static int s_status(PGconn *conn)
{
    PGresult *self = NULL, *peers = NULL, *refused = NULL;
    kc_error_t error;
    if (kc_db_run(conn, "SELECT division, level, name FROM link_peer WHERE relation = 'self'", 0,
                  NULL, NULL, NULL, "reading the node's links", &self, &error)) {
        kcctl_print_error(&error);
        return -1;
    }
    if (PQntuples(self) == 0) {
        printf("this node has no links: kc-link has not run here (deploy/federation/)\n");
        PQclear(self);
        return 0;
    }
    printf("node %s (%s) %s\n\n", PQgetvalue(self, 0, 0), PQgetvalue(self, 0, 1),
           PQgetvalue(self, 0, 2));
    PQclear(self);
    if (kc_db_run(conn, s_peers_sql, 0, NULL, NULL, NULL, "reading the node's links", &peers,
                  &error)) {
        kcctl_print_error(&error);
        return -1;
    }
    printf("%-8s %-8s %-9s %-6s %-9s %-20s %8s %10s %8s %8s  %s\n", "peer", "is", "level", "link",
           "up for", "last heard", "queued", "oldest", "taken", "refused", "name");
    for (int i = 0; i < PQntuples(peers); i++)
        printf("%-8s %-8s %-9s %-6s %-9s %-20s %8s %10s %8s %8s  %s\n", PQgetvalue(peers, i, 0),
               PQgetvalue(peers, i, 1), PQgetvalue(peers, i, 2), PQgetvalue(peers, i, 4),
               PQgetvalue(peers, i, 5), PQgetvalue(peers, i, 6), PQgetvalue(peers, i, 7),
               PQgetvalue(peers, i, 8), PQgetvalue(peers, i, 9), PQgetvalue(peers, i, 10),
               PQgetvalue(peers, i, 3));
    PQclear(peers);
    if (kc_db_run(conn,
                  "SELECT origin_division, message_id, kind, outcome,"
                  "       to_char(received_at, 'YYYY-MM-DD HH24:MI:SS')"
                  "  FROM link_inbox WHERE outcome <> 'taken' ORDER BY received_at DESC LIMIT 10",
                  0, NULL, NULL, NULL, "reading the refusals", &refused, &error)) {
        kcctl_print_error(&error);
        return -1;
    }
    if (PQntuples(refused) > 0)
        printf("\nlatest refusals (kept in link_inbox, audited as link.apply:KIND):\n");
    for (int i = 0; i < PQntuples(refused); i++)
        printf("  %s  from %s  %s  %s: %s\n", PQgetvalue(refused, i, 4), PQgetvalue(refused, i, 0),
               PQgetvalue(refused, i, 1), PQgetvalue(refused, i, 2), PQgetvalue(refused, i, 3));
    PQclear(refused);
    return 0;
}

int kcctl_link(kcctl_t *self)
{
    if (self->positional_count != 1 || strcmp(self->positional[0], "status") != 0) {
        fprintf(stderr, "usage: kcctl link status\n");
        return -1;
    }
    if (!*self->config.conninfo) {
        fprintf(stderr, "error: no database given: set database.conninfo in --config or "
                        "KC_DATABASE_URL\n");
        return -1;
    }
    kc_error_t error;
    PGconn *conn = kc_db_connect(self->config.conninfo, "kcctl link", &error);
    if (!conn) {
        kcctl_print_error(&error);
        return -1;
    }
    int rc = s_status(conn);
    kc_db_disconnect(&conn);
    return rc;
}
