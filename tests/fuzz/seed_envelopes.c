/*  seed_envelopes: writes the seed inputs of fuzz_envelope.
 *
 *  A packed kc.v1.Envelope is binary, so the seeds are built here from
 *  protobuf-c structures rather than written by hand: one valid envelope
 *  of each request body kc-intake takes and of a few replies, every header
 *  field fixed (no random id, no clock) so that the bytes, and so the
 *  committed files, are the same on every run.
 *
 *  Usage: seed_envelopes DIRECTORY    (tests/fuzz/run.sh runs it)
 *  Writes DIRECTORY/seed-<name>.pb for each envelope.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/v1/envelope.pb-c.h"

static const char *s_directory;

static Kc__V1__Actor s_actor(void)
{
    Kc__V1__Actor actor = KC__V1__ACTOR__INIT;
    actor.user_id = "zhang.wei";
    actor.role = "county_bureau";
    actor.division_code = "130131";
    actor.organisation = "stats";
    return actor;
}

/* Fill the header of `envelope` for a body named `type` and write it. */
static int s_write(const char *name, const char *type, Kc__V1__Envelope *envelope,
                   Kc__V1__Actor *actor)
{
    envelope->message_id = "01HZX3Q4M8N7P6R5S4T3V2W1X0";
    envelope->type = (char *)type;
    envelope->idempotency_key = "seed-key-0001";
    envelope->sender_node = "node-hebei";
    envelope->actor = actor;
    envelope->sent_at_ms = 1717200000000;
    size_t size = kc__v1__envelope__get_packed_size(envelope);
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes)
        return -1;
    kc__v1__envelope__pack(envelope, bytes);
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%s.pb", s_directory, name);
    FILE *file = fopen(path, "wb");
    int status = file && fwrite(bytes, 1, size, file) == size ? 0 : -1;
    if (file && fclose(file) != 0)
        status = -1;
    if (status != 0)
        perror(path);
    free(bytes);
    return status;
}

static int s_objection(void)
{
    Kc__V1__Actor actor = s_actor();
    Kc__V1__SubmitObjection objection = KC__V1__SUBMIT_OBJECTION__INIT;
    objection.application_id = "MB-2024-000017";
    objection.objector_name = "王芳";
    objection.objector_organisation = "平山县某合作社";
    objection.phone = "0311-87654321";
    objection.email = "wang.fang@example.cn";
    objection.reason = "申报材料中的产量数据与统计年鉴不符。";
    Kc__V1__Envelope envelope = KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_OBJECTION;
    envelope.submit_objection = &objection;
    return s_write("objection", "SubmitObjection", &envelope, &actor);
}

static int s_reports(void)
{
    Kc__V1__Actor actor = s_actor();
    Kc__V1__IndicatorReport first = KC__V1__INDICATOR_REPORT__INIT;
    first.county_code = "130131";
    first.year = 2023;
    first.indicator_code = "I01";
    first.value = 12345.5;
    Kc__V1__IndicatorReport second = KC__V1__INDICATOR_REPORT__INIT;
    second.county_code = "130132";
    second.year = 2023;
    second.indicator_code = "I07";
    second.value = -0.25;
    Kc__V1__IndicatorReport *list[] = {&first, &second};
    Kc__V1__SubmitReports reports = KC__V1__SUBMIT_REPORTS__INIT;
    reports.provider = "stats";
    reports.n_reports = 2;
    reports.reports = list;
    reports.dry_run = 1;
    Kc__V1__Envelope envelope = KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_REPORTS;
    envelope.submit_reports = &reports;
    return s_write("reports", "SubmitReports", &envelope, &actor);
}

static int s_application(void)
{
    Kc__V1__Actor actor = s_actor();
    Kc__V1__Person head = KC__V1__PERSON__INIT;
    head.name = "张伟";
    head.title = "研究员";
    head.birth_month = "1975-04";
    head.id_card = "11010519491231002X";
    head.phone = "13800138000";
    Kc__V1__Person expert = KC__V1__PERSON__INIT;
    expert.name = "李娜";
    expert.title = "教授";
    expert.birth_month = "1968-11";
    expert.id_card = "130131196811010027";
    expert.phone = "0311-87654321";
    expert.email = "lina@example.edu.cn";
    Kc__V1__Opinion opinion = KC__V1__OPINION__INIT;
    opinion.text = "同意申报";
    opinion.sealed = 1;
    opinion.signed_on = "2024-03-01";
    opinion.signer = "平山县农业科学研究所";
    Kc__V1__Attachment attachment = KC__V1__ATTACHMENT__INIT;
    attachment.name = "营业执照.pdf";
    attachment.uri = "https://example.org/a.pdf";
    attachment.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    Kc__V1__Attachment *attachments[] = {&attachment};
    Kc__V1__ImplementationPlan plan = KC__V1__IMPLEMENTATION_PLAN__INIT;
    plan.industry_base = "产业发展基础";
    plan.goals_content = "三年目标";
    plan.n_attachments = 1;
    plan.attachments = attachments;
    Kc__V1__MountainBaseForm form = KC__V1__MOUNTAIN_BASE_FORM__INIT;
    form.base_name = "平山县食用菌科技示范工程基地";
    form.applicant_organisation = "平山县农业科学研究所";
    form.county_code = "130131";
    form.industry = "食用菌";
    form.location = "河北省石家庄市平山县西柏坡镇";
    form.website = "https://example.org/base";
    form.head = &head;
    form.chief_expert = &expert;
    form.applicant_opinion = &opinion;
    form.plan = &plan;
    form.filled_on = "2024-02-28";
    Kc__V1__SubmitApplication application = KC__V1__SUBMIT_APPLICATION__INIT;
    application.programme = "mountain_base";
    application.form_case = KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE;
    application.mountain_base = &form;
    Kc__V1__Envelope envelope = KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_SUBMIT_APPLICATION;
    envelope.submit_application = &application;
    return s_write("application", "SubmitApplication", &envelope, &actor);
}

static int s_queries(void)
{
    Kc__V1__Actor actor = s_actor();
    Kc__V1__Ping ping = KC__V1__PING__INIT;
    Kc__V1__Envelope envelope = KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_PING;
    envelope.ping = &ping;
    if (s_write("ping", "Ping", &envelope, NULL) != 0)
        return -1;

    Kc__V1__GetSubmission get = KC__V1__GET_SUBMISSION__INIT;
    get.submission_id = 42;
    get.idempotency_key = "seed-key-0001";
    envelope = (Kc__V1__Envelope)KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_GET_SUBMISSION;
    envelope.get_submission = &get;
    if (s_write("get-submission", "GetSubmission", &envelope, &actor) != 0)
        return -1;

    Kc__V1__ListDivisions divisions = KC__V1__LIST_DIVISIONS__INIT;
    divisions.parent_code = "130100";
    divisions.year = 2023;
    envelope = (Kc__V1__Envelope)KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_LIST_DIVISIONS;
    envelope.list_divisions = &divisions;
    return s_write("list-divisions", "ListDivisions", &envelope, &actor);
}

static int s_replies(void)
{
    Kc__V1__Error error = KC__V1__ERROR__INIT;
    error.code = "validation.too_long";
    error.field = "form.representativeness";
    error.message = "\"form.representativeness\" is too long";
    error.detail = "1,203 characters, the limit is 1,000";
    error.hint = "shorten it to 1,000 characters or fewer";
    Kc__V1__Error *errors[] = {&error};
    Kc__V1__Rejected rejected = KC__V1__REJECTED__INIT;
    rejected.n_errors = 1;
    rejected.errors = errors;
    rejected.error_count = 1;
    Kc__V1__Envelope envelope = KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_REJECTED;
    envelope.rejected = &rejected;
    envelope.correlation_id = "01HZX3Q4M8N7P6R5S4T3V2W1W9";
    if (s_write("rejected", "Rejected", &envelope, NULL) != 0)
        return -1;

    Kc__V1__Division division = KC__V1__DIVISION__INIT;
    char *successors[] = {"130132"};
    division.code = "130131";
    division.name = "平山县";
    division.level = 3;
    division.parent_code = "130100";
    division.valid_to = "2020-12-31";
    division.n_successors = 1;
    division.successors = successors;
    Kc__V1__Division *list[] = {&division};
    Kc__V1__DivisionList divisions = KC__V1__DIVISION_LIST__INIT;
    divisions.n_divisions = 1;
    divisions.divisions = list;
    envelope = (Kc__V1__Envelope)KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_DIVISION_LIST;
    envelope.division_list = &divisions;
    if (s_write("division-list", "DivisionList", &envelope, NULL) != 0)
        return -1;

    Kc__V1__Accepted accepted = KC__V1__ACCEPTED__INIT;
    accepted.submission_id = 7;
    accepted.kind = "reports";
    accepted.received = 2;
    accepted.stored = 2;
    accepted.event_seq = 99;
    accepted.committed_at_ms = 1717200000123;
    envelope = (Kc__V1__Envelope)KC__V1__ENVELOPE__INIT;
    envelope.body_case = KC__V1__ENVELOPE__BODY_ACCEPTED;
    envelope.accepted = &accepted;
    return s_write("accepted", "Accepted", &envelope, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
        return 2;
    }
    s_directory = argv[1];
    if (s_objection() || s_reports() || s_application() || s_queries() || s_replies())
        return 1;
    return 0;
}
