/*  Links between nodes, first part: CURVE encryption authenticated through
 *  ZAP, over real ZeroMQ sockets. A node whose key is in the peers file
 *  gets through and every message it sends carries its division as ZMQ's
 *  User-Id, whatever the message claims; an unknown key gets nothing
 *  through, and the refusal is reported; the server keeps serving.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "kc/kc_zap.h"

TestSuite(federation_links, .timeout = 60);

static atomic_int s_refusals;
static char s_refused_key[KC_KEY_Z85];

static void s_refused(void *context, const char *address, const char *key)
{
    (void)context;
    (void)address;
    snprintf(s_refused_key, sizeof s_refused_key, "%s", key);
    atomic_fetch_add(&s_refusals, 1);
}

static void *s_client(void *context, const char *endpoint, const char *server_public,
                      const char *public_key, const char *secret_key)
{
    void *socket = zmq_socket(context, ZMQ_DEALER);
    int linger = 0, timeout = 1000;
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, server_public, KC_KEY_Z85 - 1);
    zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, public_key, KC_KEY_Z85 - 1);
    zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, secret_key, KC_KEY_Z85 - 1);
    cr_assert_eq(zmq_connect(socket, endpoint), 0);
    return socket;
}

/* The next message on the server, with who sent it; "" after 1.5 s of nothing. */
static void s_receive(void *server, char *body, size_t size, char *user, size_t user_size)
{
    body[0] = user[0] = '\0';
    zmq_pollitem_t item = {server, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, 1500) <= 0)
        return;
    zmq_msg_t identity, frame;
    zmq_msg_init(&identity);
    zmq_msg_init(&frame);
    zmq_msg_recv(&identity, server, 0);
    zmq_msg_recv(&frame, server, 0);
    snprintf(body, size, "%.*s", (int)zmq_msg_size(&frame), (const char *)zmq_msg_data(&frame));
    const char *who = zmq_msg_gets(&frame, "User-Id");
    snprintf(user, user_size, "%s", who ? who : "");
    zmq_msg_close(&identity);
    zmq_msg_close(&frame);
}

Test(federation_links, a_known_node_gets_through_as_its_division_and_an_unknown_key_does_not)
{
    char server_public[KC_KEY_Z85], server_secret[KC_KEY_Z85];
    char county_public[KC_KEY_Z85], county_secret[KC_KEY_Z85];
    char stranger_public[KC_KEY_Z85], stranger_secret[KC_KEY_Z85];
    cr_assert_eq(kc_curve_keypair(server_public, server_secret), 0);
    cr_assert_eq(kc_curve_keypair(county_public, county_secret), 0);
    cr_assert_eq(kc_curve_keypair(stranger_public, stranger_secret), 0);

    /* the city node of 石家庄 knows its county 平山县 by its key */
    char peers[256];
    snprintf(peers, sizeof peers, "/tmp/kc-peers-%d.csv", (int)getpid());
    FILE *file = fopen(peers, "w");
    cr_assert_not_null(file);
    fprintf(file, "public_key,division_code,level,name\n%s,130131,county,平山县\n", county_public);
    fclose(file);
    kc_keyring_t keyring;
    kc_error_t error;
    cr_assert_eq(kc_keyring_load(&keyring, peers, &error), 0, "%s", error.message);
    unlink(peers);
    cr_assert_eq(keyring.count, 1);

    void *context = zmq_ctx_new();
    kc_zap_t *zap = kc_zap_start(context, &keyring, s_refused, NULL, &error);
    cr_assert_not_null(zap);
    void *server = zmq_socket(context, ZMQ_ROUTER);
    int one = 1, linger = 0;
    zmq_setsockopt(server, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(server, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(server, ZMQ_CURVE_SECRETKEY, server_secret, KC_KEY_Z85 - 1);
    char endpoint[64];
    harness_free_endpoint(endpoint, sizeof endpoint);
    cr_assert_eq(zmq_bind(server, endpoint), 0);

    /* the county says it speaks for another county: the link says who it is */
    void *county = s_client(context, endpoint, server_public, county_public, county_secret);
    zmq_send(county, "I am 130132", 11, 0);
    char body[64], user[16];
    s_receive(server, body, sizeof body, user, sizeof user);
    cr_expect_str_eq(body, "I am 130132");
    cr_expect_str_eq(user, "130131", "the message is 平山县's, whatever it claims");

    /* a stranger's key: the handshake fails, nothing arrives, it is reported */
    void *stranger = s_client(context, endpoint, server_public, stranger_public, stranger_secret);
    zmq_send(stranger, "let me in", 9, ZMQ_DONTWAIT);
    s_receive(server, body, sizeof body, user, sizeof user);
    cr_expect_str_eq(body, "", "a message from an unknown key got through");
    cr_expect_geq(atomic_load(&s_refusals), 1);
    cr_expect_str_eq(s_refused_key, stranger_public);

    /* and the known node is still served */
    zmq_send(county, "again", 5, 0);
    s_receive(server, body, sizeof body, user, sizeof user);
    cr_expect_str_eq(body, "again");

    zmq_close(county);
    zmq_close(stranger);
    zmq_close(server);
    kc_zap_stop(&zap);
    zmq_ctx_term(context);
    kc_keyring_release(&keyring);
}

Test(federation_links, a_peers_file_with_a_bad_line_is_refused_with_its_line)
{
    char peers[256];
    snprintf(peers, sizeof peers, "/tmp/kc-peers-bad-%d.csv", (int)getpid());
    FILE *file = fopen(peers, "w");
    cr_assert_not_null(file);
    fprintf(file, "public_key,division_code,level,name\nnot-a-key,13013,village,x\n");
    fclose(file);
    kc_keyring_t keyring;
    kc_error_t error;
    cr_expect_eq(kc_keyring_load(&keyring, peers, &error), -1);
    cr_expect_not_null(strstr(error.message, "line 2"));
    unlink(peers);
}

Test(federation_links, kcctl_generates_a_key_pair_whose_secret_only_its_owner_reads)
{
    harness_node_t none;
    memset(&none, 0, sizeof none);
    char dir[128], path[160];
    snprintf(dir, sizeof dir, "/tmp/kc-keys-%d", (int)getpid());
    const char *generate[] = {"keys", "generate", dir, NULL};
    cr_assert_eq(harness_kcctl(&none, generate), 0);
    struct stat info;
    snprintf(path, sizeof path, "%s/node.key", dir);
    cr_assert_eq(stat(path, &info), 0);
    cr_expect_eq(info.st_mode & 0777, 0600);
    cr_expect_neq(harness_kcctl(&none, generate), 0, "a node keeps its key");
    snprintf(path, sizeof path, "%s/node.pub", dir);
    FILE *file = fopen(path, "r");
    cr_assert_not_null(file);
    char key[64] = "";
    cr_expect_eq(fscanf(file, "%63s", key), 1);
    fclose(file);
    uint8_t binary[32];
    cr_expect_eq(strlen(key), 40);
    cr_expect_not_null(zmq_z85_decode(binary, key));
    snprintf(path, sizeof path, "%s/node.key", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/node.pub", dir);
    unlink(path);
    rmdir(dir);
}

/* The queues: an outbox row lives and dies with the transaction of its
 * change; a message taken twice is stored once; an acknowledgement
 * removes it; order within a key is the order of the queue. */
Test(federation_links, the_outbox_commits_with_its_change_and_the_inbox_takes_a_message_once)
{
    harness_node_t node;
    harness_node_start(&node);
    PGresult *r = PQexec(node.db, "BEGIN;"
                                  " SELECT link_enqueue('130131', 'parent', '', 'MB-2026-000001',"
                                  "   'ApplicationForwarded', '\\x01');"
                                  " ROLLBACK");
    PQclear(r);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM link_outbox"), 0,
                 "a rolled-back change leaves nothing to send");
    r = PQexec(node.db, "SELECT link_enqueue('130131', 'parent', '', 'MB-2026-000001',"
                        " 'ApplicationForwarded', '\\x01'),"
                        " link_enqueue('130131', 'parent', '', 'MB-2026-000001',"
                        " 'ApplicationForwarded', '\\x02')");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(node.db));
    PQclear(r);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM link_outbox"), 2);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM (SELECT payload, lag(id) OVER"
                                      " (ORDER BY id) < id AS ordered FROM link_outbox) o"
                                      " WHERE ordered IS FALSE"),
                 0);
    /* the receiving side: twice the same message, stored once */
    cr_expect_eq(harness_count(&node, "SELECT (link_receive('130131', '130131-9', 9, 7, 'k',"
                                      " 'ApplicationForwarded', '\\x01', false) = 'early')::int"),
                 1, "one before it is missing: not taken");
    cr_expect_eq(harness_count(&node, "SELECT (link_receive('130131', '130131-7', 7, 0, 'k',"
                                      " 'ApplicationForwarded', '\\x01', false) = 'new')::int"),
                 1);
    cr_expect_eq(harness_count(&node, "SELECT (link_receive('130131', '130131-7', 7, 0, 'k',"
                                      " 'ApplicationForwarded', '\\x01', false) = 'copy')::int"),
                 1, "a copy is acknowledged, not stored");
    cr_expect_eq(harness_count(&node, "SELECT (link_receive('130131', '130131-9', 9, 7, 'k',"
                                      " 'ApplicationForwarded', '\\x01', false) = 'new')::int"),
                 1, "now in order");
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM link_inbox"), 2);
    /* acknowledged: gone from the outbox, once */
    cr_expect_eq(harness_count(&node, "SELECT link_acknowledged(min(message_id))::int"
                                      " FROM link_outbox"),
                 1);
    cr_expect_eq(harness_count(&node, "SELECT count(*) FROM link_outbox"), 1);
    harness_node_stop(&node);
}
