/*  validate_application: the mountain demonstration-base form of seed 000
 *  (annex 1, 申报书; annex 2, 实施方案), field by field.
 *
 *  Character limits (1) 1000, (2) 1500, (3) 1000, (5) 500 are the seed's.
 *  The seed sets none for names, addresses, section (4), opinions or the
 *  plan: the limits marked "kechuang" below are ours, generous enough for
 *  any real form and small enough to keep a stray paste out.
 */
#include <stdio.h>
#include <string.h>

#include "intake/validate.h"
#include "kc/kc_check.h"
#include "kc/kc_clock.h"

enum {
    NAME_MAX_CHARS = 100,     /* kechuang */
    PERSON_MAX_CHARS = 50,    /* kechuang */
    ADDRESS_MAX_CHARS = 200,  /* kechuang */
    SECTION_MAX_CHARS = 5000, /* kechuang: section (4), plan parts */
    OPINION_MAX_CHARS = 500,  /* kechuang */
};

static const char *s_path(char *out, size_t size, const char *prefix, const char *name)
{
    snprintf(out, size, "%s.%s", prefix, name);
    return out;
}

static void s_check_person(const Kc__V1__Person *person, const char *prefix, bool email_required,
                           kc_errors_t *errors)
{
    char field[KC_ERROR_FIELD_MAX];
    if (!person) {
        kc_errors_add(errors, KC_ERR_REQUIRED, prefix, "'%s' is required", prefix);
        return;
    }
    kc_check_text(person->name, s_path(field, sizeof field, prefix, "name"), true, PERSON_MAX_CHARS,
                  errors);
    kc_check_text(person->title, s_path(field, sizeof field, prefix, "title"), true,
                  PERSON_MAX_CHARS, errors);
    s_path(field, sizeof field, prefix, "birth_month");
    if (kc_check_text(person->birth_month, field, true, 7, errors) == 0)
        kc_check_year_month(person->birth_month, field, errors);
    s_path(field, sizeof field, prefix, "id_card");
    if (kc_check_text(person->id_card, field, true, 18, errors) == 0)
        kc_check_id_card(person->id_card, field, errors);
    kc_check_phone(person->fax, s_path(field, sizeof field, prefix, "fax"), errors);
    s_path(field, sizeof field, prefix, "phone");
    if (kc_check_text(person->phone, field, true, 32, errors) == 0)
        kc_check_phone(person->phone, field, errors);
    s_path(field, sizeof field, prefix, "email");
    if (kc_check_text(person->email, field, email_required, 254, errors) == 0)
        kc_check_email(person->email, field, errors);
}

/* An opinion block: text, the seal attested, the date. `required` is false
 * for the county and city opinions, which are added as the file climbs. */
static void s_check_opinion(const Kc__V1__Opinion *opinion, const char *prefix, bool required,
                            kc_errors_t *errors)
{
    char field[KC_ERROR_FIELD_MAX];
    if (!opinion) {
        if (required)
            kc_errors_add(errors, KC_ERR_REQUIRED, prefix, "'%s' is required", prefix);
        return;
    }
    kc_check_text(opinion->text, s_path(field, sizeof field, prefix, "text"), true,
                  OPINION_MAX_CHARS, errors);
    if (!opinion->sealed) {
        kc_error_t *error =
            kc_errors_add(errors, KC_ERR_REQUIRED, s_path(field, sizeof field, prefix, "sealed"),
                          "'%s' must carry the seal", prefix);
        if (error)
            kc_error_hint(error, "set sealed to true once the paper copy is sealed");
    }
    s_path(field, sizeof field, prefix, "signed_on");
    if (kc_check_text(opinion->signed_on, field, true, 10, errors) == 0)
        kc_check_date(opinion->signed_on, field, errors);
    kc_check_text(opinion->signer, s_path(field, sizeof field, prefix, "signer"), false,
                  PERSON_MAX_CHARS, errors);
}

static void s_check_plan(const Kc__V1__ImplementationPlan *plan, kc_errors_t *errors)
{
    if (!plan) {
        kc_errors_add(errors, KC_ERR_REQUIRED, "form.plan",
                      "the implementation plan (实施方案) is required");
        return;
    }
    const struct {
        const char *text;
        const char *field;
    } parts[] = {
        {plan->industry_base, "form.plan.industry_base"},
        {plan->base_foundation, "form.plan.base_foundation"},
        {plan->layout_positioning, "form.plan.layout_positioning"},
        {plan->goals_content, "form.plan.goals_content"},
        {plan->tasks_schedule, "form.plan.tasks_schedule"},
        {plan->assessment_indicators, "form.plan.assessment_indicators"},
        {plan->funding, "form.plan.funding"},
        {plan->safeguards, "form.plan.safeguards"},
    };
    /* The seed gives the plan "（参考格式）": each part is a guide and may be
     * left empty, but a plan that says nothing at all is no plan. */
    bool said = false;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        kc_check_text(parts[i].text, parts[i].field, false, SECTION_MAX_CHARS, errors);
        said = said || (parts[i].text && *parts[i].text);
    }
    if (!said) {
        kc_error_t *error = kc_errors_add(errors, KC_ERR_REQUIRED, "form.plan",
                                          "实施方案内容为空：参考格式的八个部分至少填写一个");
        if (error)
            kc_error_hint(error, "参考格式：产业发展基础、示范基地建设基础、布局及功能定位、"
                                 "总体目标和建设内容、任务分工及进度安排、考核指标、"
                                 "经费投入与资金管理、保障措施");
    }
    kc_check_text(plan->implementing_organisation, "form.plan.implementing_organisation", true,
                  NAME_MAX_CHARS, errors);
    for (size_t i = 0; i < plan->n_attachments; i++) {
        const Kc__V1__Attachment *attachment = plan->attachments[i];
        char prefix[64], field[KC_ERROR_FIELD_MAX];
        snprintf(prefix, sizeof prefix, "form.plan.attachments[%zu]", i);
        kc_check_text(attachment->name, s_path(field, sizeof field, prefix, "name"), true,
                      NAME_MAX_CHARS, errors);
        s_path(field, sizeof field, prefix, "uri");
        if (kc_check_text(attachment->uri, field, true, 2048, errors) == 0)
            kc_check_url(attachment->uri, field, errors);
        kc_check_sha256_hex(attachment->sha256, s_path(field, sizeof field, prefix, "sha256"),
                            errors);
    }
}

/* `town`: the applicant is a town, and a few cities have towns and no
 * counties (东莞 441900, 中山 442000, 儋州 460400): their towns name the city
 * here, and the database checks that the town is the city's. */
static void s_check_county(const catalogue_t *catalogue, const char *code, bool town,
                           kc_errors_t *errors)
{
    const char *field = "form.county_code";
    if (kc_check_text(code, field, true, 6, errors))
        return;
    switch (catalogue_county(catalogue, code, kc_clock_year())) {
    case CATALOGUE_COUNTY_VALID:
        return;
    case CATALOGUE_COUNTY_WRONG_LEVEL:
        if (town && strcmp(code + 4, "00") == 0 && strcmp(code + 2, "0000") != 0)
            return;
        kc_errors_add(errors, KC_ERR_NOT_COUNTY_LEVEL, field, "'%s' is not a county-level division",
                      code);
        return;
    case CATALOGUE_COUNTY_NOT_IN_YEAR:
        kc_errors_add(errors, KC_ERR_COUNTY_NOT_IN_YEAR, field, "county '%s' no longer exists",
                      code);
        return;
    case CATALOGUE_COUNTY_UNKNOWN:
        kc_errors_add(errors, KC_ERR_UNKNOWN_COUNTY, field, "county code '%.16s' is not known",
                      code);
        return;
    }
}

/* 主体条件: who may apply, and with whom. A university or an institute
 * applies jointly with an enterprise, an enterprise with an expert team. */
static void s_check_applicant_kind(const Kc__V1__MountainBaseForm *f, kc_errors_t *errors)
{
    static const struct {
        const char *kind;
        const char *partner;
    } kinds[] = {
        {"enterprise", "专家团队"},
        {"university", "企业"},
        {"institute", "企业"},
    };
    const char *field = "form.applicant_kind";
    if (kc_check_text(f->applicant_kind, field, true, 16, errors))
        return;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kinds[i].kind, f->applicant_kind) != 0)
            continue;
        if (f->joint_applicant && *f->joint_applicant) {
            kc_check_text(f->joint_applicant, "form.joint_applicant", true, NAME_MAX_CHARS, errors);
            return;
        }
        kc_error_t *error = kc_errors_add(errors, KC_ERR_REQUIRED, "form.joint_applicant",
                                          "%s作为申报主体的，需要和%s联合申报",
                                          strcmp(kinds[i].kind, "enterprise") == 0   ? "企业"
                                          : strcmp(kinds[i].kind, "university") == 0 ? "高校"
                                                                                     : "科研院所",
                                          kinds[i].partner);
        if (error)
            kc_error_hint(error, "在 joint_applicant 填写联合申报的%s名称", kinds[i].partner);
        return;
    }
    kc_error_t *error =
        kc_errors_add(errors, KC_ERR_INVALID_FORMAT, field,
                      "申报主体类别 '%.16s' 不在高校、科研院所、企业之列", f->applicant_kind);
    if (error)
        kc_error_hint(error, "enterprise（企业）、university（高校）或 institute（科研院所）");
}

static void s_check_mountain_base(const catalogue_t *catalogue, const Kc__V1__MountainBaseForm *f,
                                  kc_errors_t *errors)
{
    kc_check_text(f->base_name, "form.base_name", true, NAME_MAX_CHARS, errors);
    kc_check_text(f->applicant_organisation, "form.applicant_organisation", true, NAME_MAX_CHARS,
                  errors);
    s_check_applicant_kind(f, errors);
    s_check_county(catalogue, f->county_code, false, errors);
    kc_check_text(f->industry, "form.industry", true, PERSON_MAX_CHARS, errors);
    kc_check_text(f->location, "form.location", true, ADDRESS_MAX_CHARS, errors);
    if (kc_check_text(f->website, "form.website", false, 2048, errors) == 0)
        kc_check_url(f->website, "form.website", errors);
    s_check_person(f->head, "form.head", false, errors);
    kc_check_text(f->mailing_address, "form.mailing_address", true, ADDRESS_MAX_CHARS, errors);
    s_check_person(f->chief_expert, "form.chief_expert", true, errors);
    kc_check_text(f->representativeness, "form.representativeness", true, 1000, errors);
    kc_check_text(f->industry_foundation, "form.industry_foundation", true, 1500, errors);
    kc_check_text(f->innovation_conditions, "form.innovation_conditions", true, 1000, errors);
    kc_check_text(f->construction_content, "form.construction_content", true, SECTION_MAX_CHARS,
                  errors);
    kc_check_text(f->organisation_support, "form.organisation_support", true, 500, errors);
    s_check_opinion(f->applicant_opinion, "form.applicant_opinion", true, errors);
    s_check_opinion(f->county_government_opinion, "form.county_government_opinion", false, errors);
    s_check_opinion(f->city_bureau_opinion, "form.city_bureau_opinion", false, errors);
    s_check_plan(f->plan, errors);
    if (kc_check_text(f->filled_on, "form.filled_on", true, 10, errors) == 0)
        kc_check_date(f->filled_on, "form.filled_on", errors);
}

/* The programmes that take applications, and the prefix of their
 * reference numbers (MB-2026-000001). */
static const struct {
    const char *programme;
    const char *prefix;
} s_programmes[] = {
    {"mountain_base", "MB"},
    {"innovative_county", "IC"},
    {"innovative_town", "IT"},
    {"specialised_town", "ST"},
    {"four_batches_project", "FB"},
    /* a county's yearly monitoring report (seed 003: every county, titled or not) */
    {"county_monitoring", "CM"},
};

const char *validate_application_prefix(const char *programme)
{
    for (size_t i = 0; i < sizeof s_programmes / sizeof s_programmes[0]; i++)
        if (strcmp(s_programmes[i].programme, programme) == 0)
            return s_programmes[i].prefix;
    return NULL;
}

bool validate_application_town(const char *programme)
{
    return strcmp(programme, "innovative_town") == 0 || strcmp(programme, "specialised_town") == 0;
}

void validate_application_key(const Kc__V1__SubmitApplication *request, const char **county,
                              const char **name, const char **organisation)
{
    if (request->form_case == KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE) {
        *county = request->mountain_base->county_code;
        *name = request->mountain_base->base_name;
        *organisation = request->mountain_base->applicant_organisation;
    } else {
        *county = request->programme_form->county_code;
        *name = request->programme_form->subject_name;
        *organisation = request->programme_form->applicant_organisation;
    }
}

static void s_check_programme_form(const catalogue_t *catalogue, const Kc__V1__ProgrammeForm *f,
                                   bool town, kc_errors_t *errors)
{
    s_check_county(catalogue, f->county_code, town, errors);
    if (town) {
        const char *field = "form.town_code";
        if (kc_check_text(f->town_code, field, true, 9, errors) == 0 &&
            (strlen(f->town_code) != 9 || strspn(f->town_code, "0123456789") != 9))
            kc_errors_add(errors, KC_ERR_INVALID_FORMAT, field, "乡镇代码 '%.16s' 应为九位数字",
                          f->town_code);
    }
    kc_check_text(f->subject_name, "form.subject_name", true, 100, errors);
    kc_check_text(f->title, "form.title", true, 100, errors);
    kc_check_text(f->applicant_organisation, "form.applicant_organisation", true, 100, errors);
    s_check_person(f->contact, "form.contact", false, errors);
    kc_check_text(f->summary, "form.summary", true, 3000, errors);
    s_check_opinion(f->applicant_opinion, "form.applicant_opinion", true, errors);
    if (kc_check_text(f->filled_on, "form.filled_on", true, 10, errors) == 0)
        kc_check_date(f->filled_on, "form.filled_on", errors);
}

void validate_application(const catalogue_t *catalogue, const Kc__V1__SubmitApplication *request,
                          kc_errors_t *errors)
{
    if (!validate_application_prefix(request->programme)) {
        kc_error_t *error =
            kc_errors_add(errors, KC_ERR_UNKNOWN_PROGRAMME, "programme",
                          "programme '%.64s' does not take applications here", request->programme);
        if (error)
            kc_error_hint(error, "mountain_base, innovative_county, innovative_town, "
                                 "specialised_town, four_batches_project or county_monitoring");
        return;
    }
    if (strcmp(request->programme, "mountain_base") != 0) {
        if (request->form_case != KC__V1__SUBMIT_APPLICATION__FORM_PROGRAMME_FORM ||
            !request->programme_form) {
            kc_errors_add(errors, KC_ERR_REQUIRED, "form",
                          "a %.32s application needs the programme_form", request->programme);
            return;
        }
        s_check_programme_form(catalogue, request->programme_form,
                               validate_application_town(request->programme), errors);
        return;
    }
    if (request->form_case != KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE ||
        !request->mountain_base) {
        kc_errors_add(errors, KC_ERR_REQUIRED, "form",
                      "a mountain_base application needs the mountain_base form");
        return;
    }
    s_check_mountain_base(catalogue, request->mountain_base, errors);
}

void validate_filing_title(const char *county_name, const char *industry, char *out,
                           size_t out_size)
{
    /* Seed 000 writes "——##县##产业科技示范基地": the industry is followed by
     * 产业 unless its name already ends with it. */
    const char *suffix = "产业";
    size_t length = strlen(industry), suffix_length = strlen(suffix);
    bool has_suffix =
        length >= suffix_length && strcmp(industry + length - suffix_length, suffix) == 0;
    snprintf(out, out_size, "河北省山区“一县一业一基地一团队”科技示范工程——%s%s%s科技示范基地",
             county_name, industry, has_suffix ? "" : suffix);
}
