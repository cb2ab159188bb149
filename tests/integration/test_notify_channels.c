/*  kc-notify over real channels: a real SMTP server (python3-aiosmtpd) and
 *  a real HTTP receiver (tests/support/http_receiver.py) take what the real
 *  kc-notify sends as an application moves through the real kc-workflow;
 *  signatures are checked, a dead endpoint goes through its retries to the
 *  dead letters and a replay delivers it once it is back, quiet hours hold
 *  a message until they end, and the low-priority notifications of a day
 *  arrive as one digest.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "notify/notify_channels.h"
#include "workflow_fixture.h"

TestSuite(notify_channels, .timeout = 240);

#define MONDAY_1000 1740967200000LL /* 2025-03-03 10:00 CST */
#define MONDAY_1801 1740996060000LL /* 2025-03-03 18:01 CST */
#define SECRET      "test-webhook-secret"

typedef struct {
    wf_fixture_t f;
    pid_t notify, smtp, http;
    int smtp_port, http_port, dead_port;
    int smtp_hold, http_hold, dead_hold; /* the sockets holding the ports */
    char smtp_log[320], http_log[320];
} s_world_t;

/* A loopback port held by a socket bound to it but not listening: nothing
 * else can take it (a connection to it is refused, as to a dead endpoint),
 * and a server started on it (SO_REUSEADDR, as Python's servers set) gets
 * it. *fd is the holding socket. */
static int s_reserve(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    cr_assert_eq(bind(*fd, (struct sockaddr *)&address, sizeof address), 0);
    cr_assert_eq(getsockname(*fd, (struct sockaddr *)&address, &size), 0);
    return ntohs(address.sin_port);
}

static bool s_listening(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool up = connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    close(fd);
    return up;
}

static pid_t s_spawn(const char *const *argv, const char *log, int port)
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        FILE *out = freopen(log, "a", stdout);
        (void)out;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (int tries = 0; tries < 100 && !s_listening(port); tries++)
        usleep(100 * 1000);
    cr_assert(s_listening(port), "%s did not listen on %d", argv[0], port);
    cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "%s on %d exited", argv[0], port);
    return pid;
}

static pid_t s_http_receiver(s_world_t *w, int port)
{
    char text[16];
    snprintf(text, sizeof text, "%d", port);
    const char *argv[] = {"/usr/bin/python3", "tests/support/http_receiver.py", text, w->http_log,
                          NULL};
    return s_spawn(argv, w->http_log, port);
}

static void s_start_with(s_world_t *w, const char *custom_people);

static void s_start(s_world_t *w)
{
    s_start_with(w, NULL);
}

static void s_start_with(s_world_t *w, const char *custom_people)
{
    memset(w, 0, sizeof *w);
    wf_fixture_start(&w->f, MONDAY_1000);
    snprintf(w->smtp_log, sizeof w->smtp_log, "%s.smtp", w->f.node.log_path);
    snprintf(w->http_log, sizeof w->http_log, "%s.http", w->f.node.log_path);
    w->smtp_port = s_reserve(&w->smtp_hold);
    w->http_port = s_reserve(&w->http_hold);
    w->dead_port = s_reserve(&w->dead_hold);
    char smtp_port[16];
    snprintf(smtp_port, sizeof smtp_port, "%d", w->smtp_port);
    const char *smtp[] = {"/usr/bin/python3", "-u",        "tests/support/smtp_sink.py",
                          smtp_port,          w->smtp_log, NULL};
    w->smtp = s_spawn(smtp, w->smtp_log, w->smtp_port);
    w->http = s_http_receiver(w, w->http_port);
    /* the people: e-mail for all; the province with a live webhook, the city
     * with one nobody answers yet; the county government keeps quiet hours */
    char people[320];
    snprintf(people, sizeof people, "%s.people.csv", w->f.node.log_path);
    FILE *file = fopen(people, "w");
    cr_assert_not_null(file);
    if (custom_people)
        fputs(custom_people, file);
    else
        fprintf(file,
                "user_id,name,role,division_code,organisation,email,phone,webhook_url,quiet_hours,"
                "digest_time\n"
                "lizhenhua,李振华,applicant,130131,平山县太行菌业科技有限公司,li@example.test,,,,\n"
                "wangfang,王芳,county_bureau,130131,平山县科学技术局,wang@example.test,,,,\n"
                "zhaomin,赵敏,county_government,130131,平山县人民政府,zhao@example.test,,,"
                "09:00-18:00,\n"
                "liuqiang,刘强,city_bureau,130100,石家庄市科学技术局,liu@example.test,,"
                "http://127.0.0.1:%d/hook,,\n"
                "sunli,孙丽,province_department,130000,河北省科学技术厅,sun@example.test,,"
                "http://127.0.0.1:%d/hook,,18:00\n",
                w->dead_port, w->http_port);
    fclose(file);
    const char *load[] = {"recipients", "load", people, NULL};
    cr_assert_eq(harness_kcctl(&w->f.node, load), 0);
    const char *rules[] = {"notify", "load", "deploy/notify/notify-v2.ini", NULL};
    cr_assert_eq(harness_kcctl(&w->f.node, rules), 0);
    char smtp_url[64], clock[320];
    snprintf(smtp_url, sizeof smtp_url, "smtp://127.0.0.1:%d", w->smtp_port);
    snprintf(clock, sizeof clock, "%s.clock", w->f.node.log_path);
    setenv("KC_SMTP_URL", smtp_url, 1);
    setenv("KC_SMTP_FROM", "kechuang@example.test", 1);
    setenv("KC_WEBHOOK_SECRET", SECRET, 1);
    char sms[64];
    snprintf(sms, sizeof sms, "http://127.0.0.1:%d/sms", w->http_port);
    setenv("KC_SMS_GATEWAY", sms, 1);
    setenv("KC_NOTIFY_ATTEMPTS", "3", 1);
    setenv("KC_NOTIFY_BACKOFF_MS", "100", 1);
    /* a loaded machine (sanitizers, tests side by side) can take seconds to answer */
    setenv("KC_NOTIFY_TIMEOUT_MS", "10000", 1);
    setenv("KC_FAKE_CLOCK_FILE", clock, 1);
    w->notify = harness_notify_start(&w->f.node);
    unsetenv("KC_FAKE_CLOCK_FILE");
}

static void s_stop_child(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

static void s_stop(s_world_t *w)
{
    close(w->smtp_hold);
    close(w->http_hold);
    close(w->dead_hold);
    s_stop_child(w->notify);
    s_stop_child(w->smtp);
    s_stop_child(w->http);
    wf_fixture_stop(&w->f);
}

static char *s_slurp(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return strdup("");
    static char text[1 << 20];
    size_t size = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[size] = '\0';
    return strdup(text);
}

static long long s_wait(s_world_t *w, const char *sql, long long expected)
{
    return harness_wait_count(&w->f.node, sql, expected, 15000);
}

/* Every webhook delivery the receiver logged carries a good signature. */
static int s_signed_ok(const char *log)
{
    char *text = s_slurp(log);
    int good = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        /* the fields are JSON strings; pull timestamp, signature and body */
        char timestamp[32] = "", signature[80] = "";
        const char *t = strstr(line, "\"timestamp\": \""), *s = strstr(line, "\"signature\": \"");
        const char *b = strstr(line, "\"body\": \"");
        if (!t || !s || !b)
            continue;
        sscanf(t + 14, "%31[0-9]", timestamp);
        sscanf(s + 14, "sha256=%64[0-9a-f]", signature);
        /* the body is a JSON string inside JSON: undo its escapes */
        char body[8192];
        size_t n = 0;
        for (const char *at = b + 9; *at && *at != '"' && n + 1 < sizeof body; at++) {
            if (*at == '\\' && at[1])
                at++;
            body[n++] = *at;
        }
        body[n] = '\0';
        char expected[65];
        notify_signature(SECRET, timestamp, body, expected);
        good += strcmp(expected, signature) == 0;
    }
    free(text);
    return good;
}

/* The applicant submits, the county bureau approves. */
static void s_submit_and_approve(wf_fixture_t *f)
{
    cr_assert_eq(wf_fixture_act_as(f, "lizhenhua", "applicant", "130131", "submit", "申报", true),
                 0);
    cr_assert_eq(wf_fixture_act(f, "county_bureau", "130131", "county_approve", "同意", false), 0);
}

Test(notify_channels, mail_and_signed_webhooks_arrive_dead_letters_replay_quiet_hours_hold)
{
    s_world_t w;
    s_start(&w);
    s_submit_and_approve(&w.f);
    /* e-mail: the county bureau twice, the applicant and the city once;
     * the county government's waits for the end of its quiet hours */
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE channel = 'email'"
                        " AND status = 'sent'",
                        4),
                 4);
    cr_expect_eq(harness_count(&w.f.node, "SELECT count(*) FROM notification WHERE channel ="
                                          " 'email' AND recipient_id = 'zhaomin' AND status ="
                                          " 'pending' AND next_attempt_at = '2025-03-03"
                                          " 10:00:00+00'"),
                 1, "held until 18:00 China time");
    char *mail = s_slurp(w.smtp_log);
    PGresult *sent = PQexec(w.f.node.db, "SELECT id FROM notification WHERE channel = 'email'"
                                         " AND status = 'sent'");
    for (int i = 0; i < PQntuples(sent); i++) {
        char header[96];
        snprintf(header, sizeof header, "X-Kechuang-Notification: notification-130000-%s",
                 PQgetvalue(sent, i, 0));
        cr_expect_not_null(strstr(mail, header), "%s did not reach the SMTP server", header);
    }
    PQclear(sent);
    cr_expect_not_null(strstr(mail, "<wang@example.test>"));
    free(mail);

    /* the city's webhook answers nobody: three attempts, then dead */
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE channel = 'webhook'"
                        " AND recipient_id = 'liuqiang' AND status = 'dead' AND attempts = 3",
                        1),
                 1);
    const char *dead[] = {"notifications", "dead", NULL};
    cr_expect_eq(harness_kcctl(&w.f.node, dead), 0);
    /* it comes back; the operator replays the dead letter, and it arrives */
    pid_t back = s_http_receiver(&w, w.dead_port);
    char id[24];
    snprintf(id, sizeof id, "%lld",
             harness_count(&w.f.node, "SELECT id FROM notification WHERE status = 'dead'"));
    const char *replay[] = {"notifications", "replay", id, NULL};
    cr_expect_eq(harness_kcctl(&w.f.node, replay), 0);
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE channel = 'webhook'"
                        " AND recipient_id = 'liuqiang' AND status = 'sent'",
                        1),
                 1);
    cr_expect_eq(harness_count(&w.f.node, "SELECT count(*) FROM audit_entry WHERE action ="
                                          " 'notify.replay'"),
                 1);
    s_stop_child(back);

    /* up to the province: its webhook gets signed POSTs */
    cr_assert_eq(
        wf_fixture_act(&w.f, "county_government", "130131", "county_consent", "同意", true), 0);
    cr_assert_eq(wf_fixture_act(&w.f, "city_bureau", "130100", "city_recommend", "推荐", true), 0);
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE channel = 'webhook'"
                        " AND recipient_id = 'sunli' AND status = 'sent'",
                        1),
                 1);
    cr_expect_eq(s_signed_ok(w.http_log), 2, "both webhooks (city, province) are signed");

    /* 18:01: the county government's quiet hours are over */
    harness_clock_set(&w.f.node, MONDAY_1801);
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE recipient_id = 'zhaomin'"
                        " AND channel = 'email' AND status = 'sent'",
                        1),
                 1);
    s_stop(&w);
}

Test(notify_channels, low_priority_notifications_of_a_day_arrive_as_one_digest)
{
    s_world_t w;
    s_start(&w);
    s_submit_and_approve(&w.f);
    cr_assert_eq(
        wf_fixture_act(&w.f, "county_government", "130131", "county_consent", "同意", true), 0);
    cr_assert_eq(wf_fixture_act(&w.f, "city_bureau", "130100", "city_recommend", "推荐", true), 0);
    cr_assert_eq(
        wf_fixture_act(&w.f, "province_department", "130000", "province_assign", "", false), 0);
    /* the panel drawn: low priority for the province, waiting for the digest */
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE recipient_id = 'sunli'"
                        " AND status = 'digest' AND digest_date = '2025-03-03'",
                        2),
                 2, "e-mail and webhook wait for the day's digest");
    usleep(500 * 1000);
    cr_expect_eq(harness_count(&w.f.node, "SELECT count(*) FROM notify_digest"), 0);
    harness_clock_set(&w.f.node, MONDAY_1801);
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notify_digest WHERE recipient_id = 'sunli'"
                        " AND status = 'sent' AND notifications = 1",
                        2),
                 2, "one digest per channel");
    char *mail = s_slurp(w.smtp_log);
    cr_expect_not_null(strstr(mail, "X-Kechuang-Notification: digest-"));
    free(mail);
    usleep(500 * 1000);
    cr_expect_eq(harness_count(&w.f.node, "SELECT count(*) FROM notify_digest"), 2,
                 "a day has one digest");
    s_stop(&w);
}

Test(notify_channels, a_kill_9_in_a_burst_loses_no_mail_and_doubles_no_notification)
{
    s_world_t w;
    s_start(&w);
    for (int i = 0; i < 12; i++) {
        cr_assert_eq(
            wf_fixture_act_as(&w.f, "lizhenhua", "applicant", "130131", "submit", "申报", true), 0);
        if (i == 6) {
            kill(w.notify, SIGKILL);
            waitpid(w.notify, NULL, 0);
        }
        const char *back[] = {"act",           w.f.ref,       "county_return", "--role",
                              "county_bureau", "--division",  "130131",        "--reason",
                              "请补充材料",    "--return-to", "drafting",      NULL};
        cr_assert_eq(harness_kcctl(&w.f.node, back), 0);
    }
    char clock[320];
    snprintf(clock, sizeof clock, "%s.clock", w.f.node.log_path);
    setenv("KC_FAKE_CLOCK_FILE", clock, 1);
    w.notify = harness_notify_start(&w.f.node);
    unsetenv("KC_FAKE_CLOCK_FILE");
    /* each submit tells the county bureau, each return the applicant and the
     * county bureau: 36 e-mails, once each in the database */
    /* what the killed process had claimed goes again when its lease (the
     * time limit and five seconds) runs out */
    cr_expect_eq(harness_wait_count(&w.f.node,
                                    "SELECT count(*) FROM notification WHERE channel = 'email'"
                                    " AND status = 'sent'",
                                    36, 40000),
                 36);
    PGresult *states = PQexec(w.f.node.db, "SELECT status, attempts, last_error, count(*)"
                                           " FROM notification WHERE channel = 'email'"
                                           " GROUP BY 1, 2, 3 ORDER BY 1, 2");
    for (int i = 0; i < PQntuples(states); i++)
        fprintf(stderr, "e-mails %s after %s attempt(s) %s: %s\n", PQgetvalue(states, i, 0),
                PQgetvalue(states, i, 1), PQgetvalue(states, i, 2), PQgetvalue(states, i, 3));
    PQclear(states);
    cr_expect_eq(harness_count(&w.f.node, "SELECT count(*) FROM (SELECT event_seq, recipient_id,"
                                          " channel FROM notification GROUP BY 1, 2, 3"
                                          " HAVING count(*) > 1) d"),
                 0);
    /* and every one reached the SMTP server (a copy sent twice would carry
     * the same id: the receiver drops it) */
    char *mail = s_slurp(w.smtp_log);
    PGresult *sent = PQexec(w.f.node.db, "SELECT id FROM notification WHERE channel = 'email'");
    int arrived = 0;
    for (int i = 0; i < PQntuples(sent); i++) {
        char header[96];
        snprintf(header, sizeof header, "X-Kechuang-Notification: notification-130000-%s\n",
                 PQgetvalue(sent, i, 0));
        arrived += strstr(mail, header) != NULL;
    }
    cr_expect_eq(arrived, PQntuples(sent), "an e-mail was lost across the kill");
    PQclear(sent);
    free(mail);
    s_stop(&w);
}

Test(notify_channels, preferences_sms_a_critical_notice_in_quiet_hours_and_the_panels_experts)
{
    s_world_t w;
    s_start_with(&w, "user_id,name,role,division_code,organisation,email,phone,webhook_url,"
                     "quiet_hours,digest_time\n"
                     "lizhenhua,李振华,applicant,130131,平山县太行菌业科技有限公司,li@example.test,"
                     "13912345678,,09:00-18:00,\n"
                     "wangfang,王芳,county_bureau,130131,平山县科学技术局,wang@example.test,,,,\n"
                     "E001,赵立新,expert,130602,河北农业大学,e001@example.test,,,,\n"
                     "E002,钱雅琴,expert,130104,河北省农林科学院,e002@example.test,,,,\n"
                     "E003,孙志刚,expert,130302,河北科技师范学院,e003@example.test,,,,\n"
                     "E004,李慧敏,expert,130703,河北北方学院,e004@example.test,,,,\n"
                     "E005,周建华,expert,130402,河北工程大学,e005@example.test,,,,\n"
                     "E006,吴晓燕,expert,130104,河北省农林科学院,e006@example.test,,,,\n"
                     "E007,郑国强,expert,130602,河北农业大学,e007@example.test,,,,\n"
                     "E008,王丽娟,expert,130104,石家庄市农林科学研究院,e008@example.test,,,,\n"
                     "E009,冯志远,expert,130802,承德医学院,e009@example.test,,,,\n"
                     "E015,韩振宇,expert,130502,邢台学院,e015@example.test,,,,\n"
                     "E016,杨春梅,expert,131102,衡水学院,e016@example.test,,,,\n");
    /* the county bureau wants the steps of applications in its inbox only */
    const char *prefer[] = {"recipients", "prefer", "wangfang", "ApplicationMoved", "inbox", NULL};
    cr_assert_eq(harness_kcctl(&w.f.node, prefer), 0);
    cr_assert_eq(
        wf_fixture_act_as(&w.f, "lizhenhua", "applicant", "130131", "submit", "申报", true), 0);
    const char *back[] = {"act",           w.f.ref,       "county_return", "--role",
                          "county_bureau", "--division",  "130131",        "--reason",
                          "请补充材料",    "--return-to", "drafting",      NULL};
    cr_assert_eq(harness_kcctl(&w.f.node, back), 0);
    /* a return is critical: the applicant's e-mail and SMS go now, quiet hours or not */
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE recipient_id = 'lizhenhua'"
                        " AND channel IN ('email', 'sms') AND status = 'sent'",
                        2),
                 2);
    char *received = s_slurp(w.http_log);
    cr_expect_not_null(strstr(received, "\"path\": \"/sms\""), "the SMS gateway got nothing");
    cr_expect_not_null(strstr(received, "13912345678"));
    free(received);
    cr_expect_eq(harness_count(&w.f.node, "SELECT count(*) FROM notification WHERE recipient_id ="
                                          " 'wangfang' AND channel <> 'inbox'"),
                 0, "the county bureau's preference: its inbox only");
    cr_expect_geq(harness_count(&w.f.node, "SELECT count(*) FROM notification WHERE recipient_id"
                                           " = 'wangfang' AND channel = 'inbox'"),
                  2);
    /* an approval is not critical: the applicant's e-mail waits for 18:00 */
    cr_assert_eq(
        wf_fixture_act_as(&w.f, "lizhenhua", "applicant", "130131", "submit", "申报", true), 0);
    cr_assert_eq(wf_fixture_act(&w.f, "county_bureau", "130131", "county_approve", "同意", false),
                 0);
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE recipient_id = 'lizhenhua'"
                        " AND channel = 'email' AND status = 'pending'",
                        1),
                 1);
    /* the experts drawn for the panel are invited */
    cr_assert_eq(
        wf_fixture_act(&w.f, "county_government", "130131", "county_consent", "同意", true), 0);
    cr_assert_eq(wf_fixture_act(&w.f, "city_bureau", "130100", "city_recommend", "推荐", true), 0);
    cr_assert_eq(
        wf_fixture_act(&w.f, "province_department", "130000", "province_assign", "", false), 0);
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification n JOIN panel_member m ON"
                        " m.expert_code = n.recipient_id WHERE n.channel = 'inbox'"
                        " AND n.subject LIKE '【专家评估邀请】%'",
                        5),
                 5, "each seated expert is invited, nobody else");
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*) FROM notification WHERE channel = 'email'"
                        " AND subject LIKE '【专家评估邀请】%' AND status = 'sent'",
                        5),
                 5);
    s_stop(&w);
}

/* How many times the receivers saw `identity` arrive (answered or not). */
static int s_arrivals(const s_world_t *w, const char *identity)
{
    char path[340];
    snprintf(path, sizeof path, "%s.arrivals", w->http_log);
    char *text = s_slurp(path);
    int seen = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        seen += strcmp(line, identity) == 0;
    free(text);
    return seen;
}

static int s_wait_arrivals(const s_world_t *w, const char *identity, int expected)
{
    int seen = 0;
    for (int tries = 0; tries < 600 && (seen = s_arrivals(w, identity)) < expected; tries++)
        usleep(50 * 1000);
    return seen;
}

static void s_touch(const s_world_t *w, const char *suffix, bool present)
{
    char path[340];
    snprintf(path, sizeof path, "%s%s", w->http_log, suffix);
    if (present)
        fclose(fopen(path, "w"));
    else
        unlink(path);
}

/* kc-notify for the attempts test: 4 attempts; a transfer may hang for a
 * minute (the receiver holds it until the kill); retries an hour apart at
 * most, so that only the test's clock makes the next one due. */
static pid_t s_notify_for_attempts(s_world_t *w)
{
    char clock[320];
    snprintf(clock, sizeof clock, "%s.clock", w->f.node.log_path);
    setenv("KC_NOTIFY_ATTEMPTS", "4", 1);
    setenv("KC_NOTIFY_TIMEOUT_MS", "60000", 1);
    setenv("KC_NOTIFY_BACKOFF_MS", "60000", 1);
    setenv("KC_FAKE_CLOCK_FILE", clock, 1);
    pid_t pid = harness_notify_start(&w->f.node);
    unsetenv("KC_FAKE_CLOCK_FILE");
    return pid;
}

Test(notify_channels, kills_mid_transfer_never_take_a_webhook_past_its_attempts)
{
    s_world_t w;
    s_start(&w);
    s_stop_child(w.notify);
    /* the city's webhook answers now, but hangs or fails as the test says */
    s_touch(&w, ".stall", true);
    pid_t receiver = s_http_receiver(&w, w.dead_port);
    w.notify = s_notify_for_attempts(&w);
    s_submit_and_approve(&w.f);
#define S_HOOK " FROM notification WHERE recipient_id = 'liuqiang' AND channel = 'webhook'"
    cr_assert_eq(s_wait(&w, "SELECT count(*)" S_HOOK, 1), 1);
    char identity[64];
    snprintf(identity, sizeof identity, "notification-130000-%lld",
             harness_count(&w.f.node, "SELECT id" S_HOOK));
    /* attempts 1, 3 and 4 hang and kc-notify is killed mid-transfer; 2 fails */
    static const bool killed[4] = {true, false, true, true};
    long long clock = MONDAY_1000;
    for (int attempt = 1; attempt <= 4; attempt++) {
        cr_assert_eq(s_wait_arrivals(&w, identity, attempt), attempt,
                     "attempt %d did not reach the receiver", attempt);
        /* counted before the transfer started: it is under way now */
        cr_expect_eq(harness_count(&w.f.node, "SELECT attempts" S_HOOK), attempt);
        if (killed[attempt - 1]) {
            kill(w.notify, SIGKILL);
            waitpid(w.notify, NULL, 0);
            w.notify = s_notify_for_attempts(&w);
        } else {
            s_touch(&w, ".down", true);
            s_touch(&w, ".stall", false);
            cr_assert_eq(s_wait(&w, "SELECT count(*)" S_HOOK " AND status = 'failed'", 1), 1,
                         "attempt %d was not recorded as failed", attempt);
            s_touch(&w, ".stall", true);
            s_touch(&w, ".down", false);
        }
        cr_expect_eq(s_arrivals(&w, identity), attempt);
        cr_expect_eq(harness_count(&w.f.node, "SELECT attempts" S_HOOK), attempt);
        /* an hour on: past the lease (a minute and 5 s) and any backoff */
        clock += 3600000;
        harness_clock_set(&w.f.node, clock);
    }
    cr_expect_eq(s_wait(&w,
                        "SELECT count(*)" S_HOOK " AND status = 'dead' AND attempts = 4"
                        " AND last_error LIKE 'attempt 4 of 4 cut short%'",
                        1),
                 1, "the fourth attempt cut short did not end it");
    cr_expect_eq(s_arrivals(&w, identity), 4, "the receiver saw more than the limit");
    cr_expect_eq(harness_count(&w.f.node, "SELECT attempts" S_HOOK), 4);
#undef S_HOOK
    s_touch(&w, ".stall", false);
    s_stop_child(receiver);
    s_stop(&w);
}

/* A subject of 60 Chinese characters: 180 bytes of UTF-8, more than one
 * RFC 2047 word can hold. */
#define S_LONG_SUBJECT                                                                                                                           \
    "关于二〇二五年度河北省县域科技创新能力评价结果及科技奖励资金分配方案的正式通知请各县科技局认" \
    "真阅读并及时反馈意见和建议。"

/* The definition the three nodes load: a county's class, told to its
 * bureau by e-mail and webhook under the long subject. */
static void s_write_long_definition(const char *path)
{
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs("[notify]\ncode = notify-nodes\n\n"
          "[template.long]\nevent = CountyClassPublished\nsubject = " S_LONG_SUBJECT "\n"
          "body = {county_name}{year}年度：{class}类。\n\n"
          "[route.class]\nevent = CountyClassPublished\nto = county_bureau\ntemplate = long\n"
          "priority = critical\n",
          file);
    fclose(file);
}

/* Append what `kcctl publish` appends for county 130131, as the node's
 * own event. */
static void s_publish_class(const harness_node_t *node, const char *division)
{
    Kc__V1__CountyClassPublished event = KC__V1__COUNTY_CLASS_PUBLISHED__INIT;
    event.run_id = 1;
    event.scope_code = "130000";
    event.year = 2025;
    event.county_code = "130131";
    event.class_ = "A";
    uint8_t payload[256];
    size_t size = kc__v1__county_class_published__pack(&event, payload);
    const char *values[3] = {"CountyClassPublished", division, (const char *)payload};
    int lengths[3] = {0, 0, (int)size}, formats[3] = {0, 0, 1};
    harness_run(node, "SELECT kc_event_append($1, $2, NULL, $3), pg_notify('kc_events', '')", 3,
                values, lengths, formats);
}

/* The text of every "=?UTF-8?B?...?=" word of `header` in order, each
 * checked to be at most 75 characters, into `out`. */
static void s_decode_words(const char *header, char *out, size_t size)
{
    size_t used = 0;
    for (const char *at = header; (at = strstr(at, "=?UTF-8?B?")) != NULL;) {
        const char *end = strstr(at + 10, "?=");
        cr_assert_not_null(end);
        size_t word = (size_t)(end + 2 - at), encoded = (size_t)(end - (at + 10));
        cr_expect_leq(word, 75, "an encoded word of %zu characters", word);
        unsigned char text[128];
        cr_assert_lt(encoded, 160);
        int n = EVP_DecodeBlock(text, (const unsigned char *)at + 10, (int)encoded);
        cr_assert_geq(n, 0);
        while (n > 0 && encoded > 0 && at[10 + encoded - 1] == '=') { /* padding decodes to 0 */
            n--;
            encoded--;
        }
        cr_assert_lt(used + (size_t)n, size);
        memcpy(out + used, text, (size_t)n);
        used += (size_t)n;
        at = end + 2;
    }
    out[used] = '\0';
}

Test(notify_channels, three_nodes_notices_to_one_person_have_distinct_identities_and_whole_subjects)
{
    s_world_t w;
    s_start(&w); /* the province's node, 130000 */
    setenv("KC_MAIL_DOMAIN", "kjt.hebei.gov.cn", 1);
    s_stop_child(w.notify);
    w.notify = harness_notify_start(&w.f.node);
    harness_node_t city, county;
    harness_node_start(&city);
    harness_node_start(&county);
    harness_node_t *nodes[3] = {&w.f.node, &city, &county};
    static const char *const divisions[3] = {"130000", "130100", "130131"};
    pid_t notify[3] = {w.notify, 0, 0};
    char people[320], definition[320];
    snprintf(people, sizeof people, "%s.one-person.csv", w.f.node.log_path);
    snprintf(definition, sizeof definition, "%s.notify-nodes.ini", w.f.node.log_path);
    FILE *file = fopen(people, "w");
    cr_assert_not_null(file);
    fprintf(file,
            "user_id,name,role,division_code,organisation,email,phone,webhook_url,quiet_hours,"
            "digest_time\n"
            "zhouyan,周燕,county_bureau,130131,平山县科学技术局,zhou@example.test,,"
            "http://127.0.0.1:%d/hook,,\n",
            w.http_port);
    fclose(file);
    s_write_long_definition(definition);
    for (int i = 0; i < 3; i++) {
        const char *load[] = {"recipients", "load", people, NULL};
        cr_assert_eq(harness_kcctl(nodes[i], load), 0);
        const char *rules[] = {"notify", "load", definition, NULL};
        cr_assert_eq(harness_kcctl(nodes[i], rules), 0);
        if (i > 0) {
            setenv("KC_NODE_DIVISION", divisions[i], 1);
            notify[i] = harness_notify_start(nodes[i]);
        }
    }
    unsetenv("KC_NODE_DIVISION");
    unsetenv("KC_MAIL_DOMAIN");
    for (int i = 0; i < 3; i++)
        s_publish_class(nodes[i], divisions[i]);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(harness_wait_count(nodes[i],
                                        "SELECT count(*) FROM notification WHERE recipient_id ="
                                        " 'zhouyan' AND channel IN ('email', 'webhook')"
                                        " AND status = 'sent'",
                                        2, 15000),
                     2, "node %s did not deliver", divisions[i]);
    /* each node's notice, the same number on each, is its own identity */
    char *mail = s_slurp(w.smtp_log);
    char ids[3][96];
    int found = 0;
    for (char *message = mail; message && *message;) {
        char *end = strstr(message, "---------- END OF MESSAGE ----------");
        if (end)
            *end = '\0';
        if (strstr(message, "RCPT: zhou@example.test")) {
            cr_assert_lt(found, 3, "more than three messages to one person");
            const char *id = strstr(message, "\nMessage-ID: <");
            cr_assert_not_null(id);
            sscanf(id + 14, "%95[^>]", ids[found]);
            char *subject = strstr(message, "\nSubject: "),
                 *after = strstr(subject, "\nMessage-ID:");
            cr_assert(subject && after);
            *after = '\0';
            char decoded[512];
            s_decode_words(subject, decoded, sizeof decoded);
            cr_expect_str_eq(decoded, S_LONG_SUBJECT);
            *after = '\n';
            found++;
        }
        message = end ? end + 1 : NULL;
    }
    cr_expect_eq(found, 3);
    for (int i = 0; i < found; i++) {
        char expected[96];
        snprintf(expected, sizeof expected, "notification-%s-", divisions[i]);
        bool one_of_them = false;
        for (int k = 0; k < found; k++) {
            one_of_them |= strncmp(ids[k], expected, strlen(expected)) == 0;
            if (k != i)
                cr_expect_str_neq(ids[i], ids[k], "two nodes' notices share a Message-ID");
        }
        cr_expect(one_of_them, "no Message-ID names node %s", divisions[i]);
        cr_expect_not_null(strstr(ids[i], "@kjt.hebei.gov.cn"), "%s", ids[i]);
    }
    free(mail);
    /* and their webhooks' uids */
    char *hooks = s_slurp(w.http_log);
    for (int i = 0; i < 3; i++) {
        char uid[96];
        long long number =
            harness_count(nodes[i], "SELECT id FROM notification WHERE"
                                    " recipient_id = 'zhouyan' AND channel = 'webhook'");
        snprintf(uid, sizeof uid, "\\\"uid\\\":\\\"notification-%s-%lld\\\"", divisions[i], number);
        char *first = strstr(hooks, uid);
        cr_expect_not_null(first, "no webhook with %s", uid);
        cr_expect(first && !strstr(first + 1, uid), "%s twice", uid);
    }
    free(hooks);
    for (int i = 1; i < 3; i++)
        s_stop_child(notify[i]);
    harness_node_stop(&county);
    harness_node_stop(&city);
    s_stop(&w);
}
