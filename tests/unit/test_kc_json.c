/*  Unit tests of kc_json: protobuf-c messages to and from JSON.
 *
 *  The stored form of an application must survive JSON -> message -> JSON
 *  unchanged, and a hand-written request file must get an error per
 *  misplaced value, each with the path a person can find it by. The kc.v1
 *  messages hold only strings, bools, integers, doubles and messages, so a
 *  small descriptor written by hand below covers the other field types
 *  (enum, bytes, float, unsigned, repeated scalars, optional with has_).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/kc_json.h"
#include "kc/v1/envelope.pb-c.h"
#include "kc/v1/intake.pb-c.h"

/* A full MountainBaseForm as a person would write it, every field given. */
static const char s_full_form[] =
    "{"
    "\"base_name\": \"平山县食用菌科技示范工程基地\","
    "\"applicant_organisation\": \"平山县农业科学研究所\","
    "\"county_code\": \"130131\","
    "\"industry\": \"食用菌\","
    "\"location\": \"河北省石家庄市平山县西柏坡镇\","
    "\"website\": \"https://example.org/base\","
    "\"head\": {\"name\": \"张伟\", \"title\": \"研究员/所长\", \"birth_month\": \"1975-04\","
    "  \"id_card\": \"11010519491231002X\", \"fax\": \"0311-8000000\","
    "  \"phone\": \"13800138000\", \"email\": \"\"},"
    "\"mailing_address\": \"平山县平山镇建设路 1 号, 050400\","
    "\"chief_expert\": {\"name\": \"李娜\", \"title\": \"教授\", \"birth_month\": \"1968-11\","
    "  \"id_card\": \"130131196811010027\", \"fax\": \"\", \"phone\": \"0311-87654321\","
    "  \"email\": \"lina@example.edu.cn\"},"
    "\"representativeness\": \"太行山区典型县，\\\"一县一业\\\"代表性强。\","
    "\"industry_foundation\": \"年产鲜菇 5 万吨。\\n第二行\","
    "\"innovation_conditions\": \"与河北农业大学共建实验室。\","
    "\"construction_content\": \"菌种繁育、标准化栽培、冷链。\","
    "\"organisation_support\": \"县政府配套资金 500 万元。\","
    "\"applicant_opinion\": {\"text\": \"同意申报\", \"sealed\": true,"
    "  \"signed_on\": \"2024-03-01\", \"signer\": \"平山县农业科学研究所\"},"
    "\"county_government_opinion\": {\"text\": \"同意推荐\", \"sealed\": true,"
    "  \"signed_on\": \"2024-03-05\", \"signer\": \"平山县人民政府\"},"
    "\"city_bureau_opinion\": {\"text\": \"\", \"sealed\": false, \"signed_on\": \"\","
    "  \"signer\": \"\"},"
    "\"plan\": {\"industry_base\": \"产业发展基础……\", \"base_foundation\": \"基础……\","
    "  \"layout_positioning\": \"一核两带\", \"goals_content\": \"三年目标\","
    "  \"tasks_schedule\": \"2024—2026\", \"assessment_indicators\": \"带动农户 2000 户\","
    "  \"funding\": \"总投入 1200 万元\", \"safeguards\": \"领导小组\","
    "  \"attachments\": ["
    "    {\"name\": \"营业执照.pdf\", \"uri\": \"file:///a.pdf\", \"sha256\": "
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"},"
    "    {\"name\": \"合作协议.pdf\", \"uri\": \"file:///b.pdf\", \"sha256\": "
    "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}"
    "  ], \"implementing_organisation\": \"平山县农业科学研究所\"},"
    "\"filled_on\": \"2024-02-28\","
    "\"applicant_kind\": \"institute\","
    "\"joint_applicant\": \"平山县太行菌业科技有限公司\""
    "}";

static struct json_object *s_parse(const char *text)
{
    struct json_object *object = json_tokener_parse(text);
    cr_assert_not_null(object, "test JSON does not parse: %s", text);
    return object;
}

static void s_dump_errors(const kc_errors_t *errors)
{
    for (size_t i = 0; i < errors->kept; i++)
        cr_log_info("%s: %s (%s) [%s]", errors->items[i].field, errors->items[i].message,
                    errors->items[i].detail, errors->items[i].hint);
}

/* The kept error whose field is `field`, or NULL. */
static const kc_error_t *s_find(const kc_errors_t *errors, const char *field)
{
    for (size_t i = 0; i < errors->kept; i++)
        if (strcmp(errors->items[i].field, field) == 0)
            return &errors->items[i];
    return NULL;
}

static ProtobufCMessage *s_read(const char *text, const ProtobufCMessageDescriptor *descriptor,
                                const char *path, kc_errors_t *errors)
{
    struct json_object *object = s_parse(text);
    ProtobufCMessage *message = kc_json_to_message(object, descriptor, path, errors);
    json_object_put(object);
    return message;
}

Test(kc_json, round_trips_a_full_mountain_base_form)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    struct json_object *input = s_parse(s_full_form);
    ProtobufCMessage *message =
        kc_json_to_message(input, &kc__v1__mountain_base_form__descriptor, "form", &errors);
    s_dump_errors(&errors);
    cr_assert_not_null(message);
    cr_assert_eq(errors.total, 0);

    Kc__V1__MountainBaseForm *form = (Kc__V1__MountainBaseForm *)message;
    cr_assert_str_eq(form->base_name, "平山县食用菌科技示范工程基地");
    cr_assert_str_eq(form->head->id_card, "11010519491231002X");
    cr_assert_str_eq(form->representativeness, "太行山区典型县，\"一县一业\"代表性强。");
    cr_assert_str_eq(form->industry_foundation, "年产鲜菇 5 万吨。\n第二行");
    cr_assert(form->applicant_opinion->sealed);
    cr_assert_not(form->city_bureau_opinion->sealed);
    cr_assert_eq(form->plan->n_attachments, 2);
    cr_assert_str_eq(form->plan->attachments[1]->name, "合作协议.pdf");

    /* The message is a real one: it packs and unpacks to the same bytes. */
    size_t size = protobuf_c_message_get_packed_size(message);
    uint8_t *packed = malloc(size);
    protobuf_c_message_pack(message, packed);
    Kc__V1__MountainBaseForm *copy = kc__v1__mountain_base_form__unpack(NULL, size, packed);
    cr_assert_not_null(copy);
    cr_assert_str_eq(copy->plan->attachments[0]->sha256,
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    kc__v1__mountain_base_form__free_unpacked(copy, NULL);
    free(packed);

    struct json_object *output = kc_json_from_message(message);
    cr_assert(json_object_equal(input, output), "round trip differs:\n%s\n%s",
              json_object_to_json_string(input), json_object_to_json_string(output));

    json_object_put(output);
    json_object_put(input);
    protobuf_c_message_free_unpacked(message, NULL);
    kc_errors_release(&errors);
}

Test(kc_json, writes_every_field_of_an_empty_message_with_defaults)
{
    Kc__V1__MountainBaseForm form = KC__V1__MOUNTAIN_BASE_FORM__INIT;
    struct json_object *output = kc_json_from_message(&form.base);
    cr_assert_eq(json_object_object_length(output), 21);
    struct json_object *value;
    cr_assert(json_object_object_get_ex(output, "filled_on", &value));
    cr_assert_str_eq(json_object_get_string(value), "");
    cr_assert(json_object_object_get_ex(output, "head", &value));
    cr_assert(json_object_is_type(value, json_type_null));
    json_object_put(output);

    Kc__V1__DivisionList list = KC__V1__DIVISION_LIST__INIT;
    output = kc_json_from_message(&list.base);
    cr_assert_str_eq(json_object_to_json_string_ext(output, JSON_C_TO_STRING_PLAIN),
                     "{\"divisions\":[]}");
    json_object_put(output);
}

Test(kc_json, reports_an_unknown_field_with_its_path)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message = s_read("{\"head\": {\"name\": \"张伟\", \"nickname\": \"伟\"}}",
                                       &kc__v1__mountain_base_form__descriptor, "form", &errors);
    cr_assert_null(message);
    cr_assert_eq(errors.total, 1);
    const kc_error_t *error = &errors.items[0];
    cr_assert_eq(error->code, KC_ERR_INPUT);
    cr_assert_str_eq(error->field, "form.head.nickname");
    cr_assert_str_eq(error->message, "unknown field \"nickname\"");
    cr_assert_str_eq(error->detail, "\"nickname\" is not part of kc.v1.Person");
    cr_assert(strstr(error->hint, "name, title, birth_month"), "hint: %s", error->hint);
    kc_errors_release(&errors);
}

Test(kc_json, reports_a_wrong_type_with_what_was_expected)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message =
        s_read("{\"base_name\": \"基地\", \"head\": {\"phone\": 13800138000}}",
               &kc__v1__mountain_base_form__descriptor, "form", &errors);
    cr_assert_null(message);
    cr_assert_eq(errors.total, 1);
    cr_assert_eq(errors.items[0].code, KC_ERR_INPUT);
    cr_assert_str_eq(errors.items[0].field, "form.head.phone");
    cr_assert_str_eq(errors.items[0].detail, "expected a string, found a number");
    kc_errors_release(&errors);
}

Test(kc_json, reports_every_nested_error_with_its_own_path)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    kc_errors_add(&errors, KC_ERR_REQUIRED, "earlier", "an error from before the call");
    ProtobufCMessage *message =
        s_read("{\"plan\": {\"attachments\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": 3},"
               "                           {\"uri\": [\"x\"]}, null, \"c\"]},"
               " \"applicant_opinion\": {\"sealed\": \"yes\"},"
               " \"head\": [],"
               " \"plan2\": {}}",
               &kc__v1__mountain_base_form__descriptor, "form", &errors);
    s_dump_errors(&errors);
    cr_assert_null(message);
    cr_assert_eq(errors.total, 8);
    const kc_error_t *error = s_find(&errors, "form.plan.attachments[2].name");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->detail, "expected a string, found a number");
    error = s_find(&errors, "form.plan.attachments[3].uri");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->detail, "expected a string, found an array");
    error = s_find(&errors, "form.plan.attachments[4]");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->detail, "expected an object, found null");
    error = s_find(&errors, "form.plan.attachments[5]");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->detail, "expected an object, found a string");
    error = s_find(&errors, "form.applicant_opinion.sealed");
    cr_assert_not_null(error);
    cr_assert_str_eq(error->detail, "expected a boolean, found a string");
    cr_assert_not_null(s_find(&errors, "form.head"));
    cr_assert_not_null(s_find(&errors, "form.plan2"));
    kc_errors_release(&errors);
}

Test(kc_json, names_fields_from_the_root_when_no_path_is_given)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_null(s_read("{\"reports\": [{\"year\": \"2024\"}]}",
                          &kc__v1__submit_reports__descriptor, "", &errors));
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].field, "reports[0].year");
    cr_assert_str_eq(errors.items[0].detail, "expected an integer, found a string");
    kc_errors_release(&errors);

    kc_errors_init(&errors);
    cr_assert_null(s_read("[1, 2]", &kc__v1__submit_reports__descriptor, NULL, &errors));
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].detail, "expected an object, found an array");
    kc_errors_release(&errors);
}

Test(kc_json, reads_and_writes_the_set_member_of_a_oneof)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message =
        s_read("{\"programme\": \"mountain_base\", \"dry_run\": true,"
               " \"mountain_base\": {\"base_name\": \"基地\", \"head\": {\"name\": \"张伟\"}}}",
               &kc__v1__submit_application__descriptor, NULL, &errors);
    cr_assert_not_null(message);
    Kc__V1__SubmitApplication *application = (Kc__V1__SubmitApplication *)message;
    cr_assert_eq(application->form_case, KC__V1__SUBMIT_APPLICATION__FORM_MOUNTAIN_BASE);
    cr_assert_str_eq(application->mountain_base->head->name, "张伟");
    cr_assert(application->dry_run);

    struct json_object *output = kc_json_from_message(message);
    struct json_object *form, *value;
    cr_assert(json_object_object_get_ex(output, "mountain_base", &form));
    cr_assert(json_object_object_get_ex(form, "base_name", &value));
    cr_assert_str_eq(json_object_get_string(value), "基地");
    cr_assert_eq(json_object_object_length(output), 3);
    json_object_put(output);
    protobuf_c_message_free_unpacked(message, NULL);

    /* Not set: the member is left out of the JSON and reads back unset. */
    Kc__V1__SubmitApplication empty = KC__V1__SUBMIT_APPLICATION__INIT;
    output = kc_json_from_message(&empty.base);
    cr_assert_not(json_object_object_get_ex(output, "mountain_base", NULL));
    message = kc_json_to_message(output, &kc__v1__submit_application__descriptor, NULL, &errors);
    cr_assert_not_null(message);
    cr_assert_eq(((Kc__V1__SubmitApplication *)message)->form_case,
                 KC__V1__SUBMIT_APPLICATION__FORM__NOT_SET);
    protobuf_c_message_free_unpacked(message, NULL);
    json_object_put(output);
    cr_assert_eq(errors.total, 0);
    kc_errors_release(&errors);
}

Test(kc_json, refuses_two_members_of_one_oneof)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_null(s_read("{\"type\": \"Ping\", \"ping\": {}, \"pong\": {\"node\": \"n1\"}}",
                          &kc__v1__envelope__descriptor, "envelope", &errors));
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].field, "envelope.pong");
    cr_assert(strstr(errors.items[0].detail, "\"ping\" and \"pong\""), "%s",
              errors.items[0].detail);
    kc_errors_release(&errors);
}

Test(kc_json, null_keeps_the_default_of_any_field)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message =
        s_read("{\"programme\": null, \"mountain_base\": null, \"dry_run\": null}",
               &kc__v1__submit_application__descriptor, NULL, &errors);
    cr_assert_not_null(message);
    Kc__V1__SubmitApplication *application = (Kc__V1__SubmitApplication *)message;
    cr_assert_str_eq(application->programme, "");
    cr_assert_eq(application->form_case, KC__V1__SUBMIT_APPLICATION__FORM__NOT_SET);
    protobuf_c_message_free_unpacked(message, NULL);
    kc_errors_release(&errors);
}

Test(kc_json, checks_the_range_of_integers)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message = s_read("{\"after_seq\": 9007199254740993, \"limit\": -2147483648}",
                                       &kc__v1__list_events__descriptor, NULL, &errors);
    cr_assert_not_null(message);
    cr_assert_eq(((Kc__V1__ListEvents *)message)->after_seq, 9007199254740993LL);
    cr_assert_eq(((Kc__V1__ListEvents *)message)->limit, INT32_MIN);
    struct json_object *output = kc_json_from_message(message);
    cr_assert_str_eq(json_object_to_json_string_ext(output, JSON_C_TO_STRING_PLAIN),
                     "{\"after_seq\":9007199254740993,\"limit\":-2147483648}");
    json_object_put(output);
    protobuf_c_message_free_unpacked(message, NULL);

    cr_assert_null(
        s_read("{\"limit\": 2147483648}", &kc__v1__list_events__descriptor, NULL, &errors));
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].field, "limit");
    cr_assert_str_eq(errors.items[0].detail,
                     "2147483648 is out of range for int32 (-2147483648 to 2147483647)");
    cr_assert_null(s_read("{\"after_seq\": 18446744073709551615}", &kc__v1__list_events__descriptor,
                          NULL, &errors));
    cr_assert_eq(errors.total, 2);
    cr_assert_null(s_read("{\"limit\": 2.5}", &kc__v1__list_events__descriptor, NULL, &errors));
    cr_assert_str_eq(errors.items[2].detail, "expected an integer, found a fraction");
    message = s_read("{\"limit\": 1e3}", &kc__v1__list_events__descriptor, NULL, &errors);
    cr_assert_not_null(message);
    cr_assert_eq(((Kc__V1__ListEvents *)message)->limit, 1000);
    protobuf_c_message_free_unpacked(message, NULL);
    cr_assert_eq(errors.total, 3);
    kc_errors_release(&errors);
}

Test(kc_json, writes_doubles_in_their_shortest_form)
{
    Kc__V1__IndicatorReport report = KC__V1__INDICATOR_REPORT__INIT;
    report.value = 0.1;
    struct json_object *output = kc_json_from_message(&report.base);
    cr_assert(
        strstr(json_object_to_json_string_ext(output, JSON_C_TO_STRING_PLAIN), "\"value\":0.1}"));
    json_object_put(output);
    report.value = 3;
    output = kc_json_from_message(&report.base);
    cr_assert(
        strstr(json_object_to_json_string_ext(output, JSON_C_TO_STRING_PLAIN), "\"value\":3.0}"));
    json_object_put(output);

    /* Non-finite values travel as the strings of the proto3 JSON mapping. */
    report.value = -INFINITY;
    output = kc_json_from_message(&report.base);
    cr_assert(strstr(json_object_to_json_string_ext(output, JSON_C_TO_STRING_PLAIN),
                     "\"value\":\"-Infinity\"}"));
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message =
        kc_json_to_message(output, &kc__v1__indicator_report__descriptor, NULL, &errors);
    cr_assert_not_null(message);
    cr_assert(isinf(((Kc__V1__IndicatorReport *)message)->value));
    protobuf_c_message_free_unpacked(message, NULL);
    json_object_put(output);
    cr_assert_null(
        s_read("{\"value\": \"12.5\"}", &kc__v1__indicator_report__descriptor, NULL, &errors));
    cr_assert_str_eq(errors.items[0].detail, "expected a number, found a string");
    kc_errors_release(&errors);
}

Test(kc_json, refuses_a_string_holding_a_nul_character)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_null(
        s_read("{\"name\": \"a\\u0000b\"}", &kc__v1__person__descriptor, "head", &errors));
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].field, "head.name");
    kc_errors_release(&errors);
}

Test(kc_json, reads_repeated_strings_and_messages)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    const char *text = "{\"divisions\": [{\"code\": \"130131\", \"name\": \"平山县\", \"level\": 3,"
                       " \"parent_code\": \"130100\", \"is_zone\": false, \"valid_from\": \"\","
                       " \"valid_to\": \"\", \"successors\": [\"130132\", \"130133\"]}]}";
    struct json_object *input = s_parse(text);
    ProtobufCMessage *message =
        kc_json_to_message(input, &kc__v1__division_list__descriptor, NULL, &errors);
    cr_assert_not_null(message);
    Kc__V1__DivisionList *list = (Kc__V1__DivisionList *)message;
    cr_assert_eq(list->n_divisions, 1);
    cr_assert_eq(list->divisions[0]->n_successors, 2);
    cr_assert_str_eq(list->divisions[0]->successors[1], "130133");
    struct json_object *output = kc_json_from_message(message);
    cr_assert(json_object_equal(input, output));
    json_object_put(output);
    json_object_put(input);
    protobuf_c_message_free_unpacked(message, NULL);

    cr_assert_null(s_read("{\"divisions\": [{\"successors\": [\"1\", 2, \"3\"]}]}",
                          &kc__v1__division_list__descriptor, NULL, &errors));
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].field, "divisions[0].successors[1]");
    cr_assert_null(
        s_read("{\"divisions\": {}}", &kc__v1__division_list__descriptor, NULL, &errors));
    cr_assert_str_eq(errors.items[1].detail, "expected an array of message, found an object");
    kc_errors_release(&errors);
}

/* --------------------------------------------------------------------------
 * A message written by hand with the field types kc.v1 does not use yet.
 */

typedef struct {
    ProtobufCMessage base;
    uint32_t count;               /* 1: uint32 */
    uint64_t total;               /* 2: uint64 */
    float ratio;                  /* 3: float */
    int colour;                   /* 4: enum */
    ProtobufCBinaryData blob;     /* 5: bytes */
    size_t n_ratios;              /* 6: repeated float */
    float *ratios;                /* 6 */
    size_t n_blobs;               /* 7: repeated bytes */
    ProtobufCBinaryData *blobs;   /* 7 */
    protobuf_c_boolean has_level; /* 8: optional sint32 */
    int32_t level;                /* 8 */
    size_t n_colours;             /* 9: repeated enum */
    int *colours;                 /* 9 */
} s_sample_t;

static const ProtobufCEnumValue s_colour_values[] = {
    {"COLOUR_UNSPECIFIED", "COLOUR_UNSPECIFIED", 0},
    {"RED", "RED", 1},
    {"GREEN", "GREEN", 2},
};
static const ProtobufCEnumValueIndex s_colour_names[] = {
    {"COLOUR_UNSPECIFIED", 0}, {"GREEN", 2}, {"RED", 1}};
static const ProtobufCIntRange s_colour_ranges[] = {{0, 0}, {0, 3}};
static const ProtobufCEnumDescriptor s_colour_descriptor = {PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC,
                                                            "test.Colour",
                                                            "Colour",
                                                            "Colour",
                                                            "test",
                                                            3,
                                                            s_colour_values,
                                                            3,
                                                            s_colour_names,
                                                            1,
                                                            s_colour_ranges,
                                                            NULL,
                                                            NULL,
                                                            NULL,
                                                            NULL};

#define S_FIELD(name, id, label, type, quantifier, member, descriptor)                             \
    {                                                                                              \
        name, id, label, type, quantifier, offsetof(s_sample_t, member), descriptor, NULL, 0, 0,   \
            NULL, NULL                                                                             \
    }

static const ProtobufCFieldDescriptor s_sample_fields[] = {
    S_FIELD("count", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_UINT32, 0, count, NULL),
    S_FIELD("total", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_UINT64, 0, total, NULL),
    S_FIELD("ratio", 3, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_FLOAT, 0, ratio, NULL),
    S_FIELD("colour", 4, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_ENUM, 0, colour,
            &s_colour_descriptor),
    S_FIELD("blob", 5, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_BYTES, 0, blob, NULL),
    S_FIELD("ratios", 6, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_FLOAT,
            offsetof(s_sample_t, n_ratios), ratios, NULL),
    S_FIELD("blobs", 7, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_BYTES,
            offsetof(s_sample_t, n_blobs), blobs, NULL),
    S_FIELD("level", 8, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_SINT32,
            offsetof(s_sample_t, has_level), level, NULL),
    S_FIELD("colours", 9, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_ENUM,
            offsetof(s_sample_t, n_colours), colours, &s_colour_descriptor),
};
static const unsigned s_sample_by_name[] = {4, 6, 3, 8, 0, 7, 2, 5, 1};
static const ProtobufCIntRange s_sample_ranges[] = {{1, 0}, {0, 9}};

static void s_sample_init(ProtobufCMessage *message);

static const ProtobufCMessageDescriptor s_sample_descriptor = {PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
                                                               "test.Sample",
                                                               "Sample",
                                                               "Sample",
                                                               "test",
                                                               sizeof(s_sample_t),
                                                               9,
                                                               s_sample_fields,
                                                               s_sample_by_name,
                                                               1,
                                                               s_sample_ranges,
                                                               s_sample_init,
                                                               NULL,
                                                               NULL,
                                                               NULL};

static void s_sample_init(ProtobufCMessage *message)
{
    memset(message, 0, sizeof(s_sample_t));
    message->descriptor = &s_sample_descriptor;
}

Test(kc_json, round_trips_enums_bytes_floats_and_unsigned_integers)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    const char *text = "{\"count\": 4294967295, \"total\": 18446744073709551615,"
                       " \"ratio\": 0.1, \"colour\": \"GREEN\", \"blob\": \"a2VjaHVhbmc=\","
                       " \"ratios\": [1.5, -2.25], \"blobs\": [\"\", \"AA==\", \"/+8\"],"
                       " \"level\": -7, \"colours\": [\"RED\", 2, 9]}";
    struct json_object *input = s_parse(text);
    ProtobufCMessage *message = kc_json_to_message(input, &s_sample_descriptor, NULL, &errors);
    s_dump_errors(&errors);
    cr_assert_not_null(message);
    s_sample_t *sample = (s_sample_t *)message;
    cr_assert_eq(sample->count, UINT32_MAX);
    cr_assert_eq(sample->total, UINT64_MAX);
    cr_assert_float_eq(sample->ratio, 0.1f, 0);
    cr_assert_eq(sample->colour, 2);
    cr_assert_eq(sample->blob.len, 8);
    cr_assert_arr_eq(sample->blob.data, "kechuang", 8);
    cr_assert_eq(sample->n_blobs, 3);
    cr_assert_eq(sample->blobs[0].len, 0);
    cr_assert_eq(sample->blobs[2].len, 2);
    cr_assert_eq(sample->blobs[2].data[0], 0xFF);
    cr_assert_eq(sample->blobs[2].data[1], 0xEF);
    cr_assert(sample->has_level);
    cr_assert_eq(sample->level, -7);
    cr_assert_eq(sample->n_colours, 3);

    struct json_object *output = kc_json_from_message(message);
    const char *written = json_object_to_json_string_ext(
        output, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    cr_assert_str_eq(written, "{\"count\":4294967295,\"total\":18446744073709551615,"
                              "\"ratio\":0.1,\"colour\":\"GREEN\",\"blob\":\"a2VjaHVhbmc=\","
                              "\"ratios\":[1.5,-2.25],\"blobs\":[\"\",\"AA==\",\"/+8=\"],"
                              "\"level\":-7,\"colours\":[\"RED\",\"GREEN\",9]}");
    json_object_put(output);
    json_object_put(input);
    protobuf_c_message_free_unpacked(message, NULL);

    /* Without its has_ flag an optional field is left out. */
    s_sample_t empty;
    s_sample_init(&empty.base);
    output = kc_json_from_message(&empty.base);
    cr_assert_not(json_object_object_get_ex(output, "level", NULL));
    json_object_put(output);
    kc_errors_release(&errors);
}

Test(kc_json, reports_bad_enums_bytes_and_unsigned_values)
{
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_null(s_read("{\"count\": -1, \"total\": -5, \"ratio\": 1e300, \"colour\": \"BLUE\","
                          " \"blob\": \"a*b=\", \"blobs\": [\"A\"], \"colours\": [\"RED\", true],"
                          " \"level\": 2147483648}",
                          &s_sample_descriptor, "sample", &errors));
    s_dump_errors(&errors);
    cr_assert_eq(errors.total, 8);
    cr_assert_str_eq(s_find(&errors, "sample.count")->detail,
                     "-1 is out of range for uint32 (0 to 4294967295)");
    cr_assert_not_null(s_find(&errors, "sample.total"));
    cr_assert_str_eq(s_find(&errors, "sample.ratio")->detail, "1e+300 is out of range for float");
    cr_assert_str_eq(s_find(&errors, "sample.colour")->detail,
                     "\"BLUE\" is not a value of test.Colour");
    cr_assert_not_null(s_find(&errors, "sample.blob"));
    cr_assert_not_null(s_find(&errors, "sample.blobs[0]"));
    cr_assert_str_eq(s_find(&errors, "sample.colours[1]")->detail,
                     "expected an enum name, found a boolean");
    cr_assert_not_null(s_find(&errors, "sample.level"));
    kc_errors_release(&errors);
}

Test(kc_json, stops_at_nesting_deeper_than_the_limit)
{
    /* Build {"divisions": [{"successors": [[[[...]]]]}]} beyond the limit. */
    struct json_object *deep = json_object_new_array();
    struct json_object *inner = deep;
    for (int i = 0; i < KC_JSON_DEPTH_MAX + 5; i++) {
        struct json_object *next = json_object_new_array();
        json_object_array_add(inner, next);
        inner = next;
    }
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_null(kc_json_to_message(deep, &kc__v1__division_list__descriptor, NULL, &errors));
    cr_assert_eq(errors.total, 1);
    json_object_put(deep);
    kc_errors_release(&errors);
}

/* --------------------------------------------------------------------------
 * Files.
 */

static char *s_write_file(const char *text, size_t length)
{
    char *path = strdup("/tmp/test_kc_json_XXXXXX");
    int descriptor = mkstemp(path);
    cr_assert_geq(descriptor, 0);
    cr_assert_eq(write(descriptor, text, length), (ssize_t)length);
    close(descriptor);
    return path;
}

Test(kc_json, reads_a_file_with_a_byte_order_mark)
{
    static const char text[] = "\xEF\xBB\xBF{\"provider\": \"stats\",\n \"reports\": [\n"
                               "  {\"county_code\": \"130131\", \"year\": 2024,"
                               " \"indicator_code\": \"I01\", \"value\": 12.5}]}\n";
    char *path = s_write_file(text, sizeof text - 1);
    kc_errors_t errors;
    kc_errors_init(&errors);
    ProtobufCMessage *message =
        kc_json_file_to_message(path, &kc__v1__submit_reports__descriptor, &errors);
    s_dump_errors(&errors);
    cr_assert_not_null(message);
    Kc__V1__SubmitReports *request = (Kc__V1__SubmitReports *)message;
    cr_assert_eq(request->n_reports, 1);
    cr_assert_eq(request->reports[0]->value, 12.5);
    protobuf_c_message_free_unpacked(message, NULL);
    unlink(path);
    free(path);
    kc_errors_release(&errors);
}

Test(kc_json, reports_where_a_file_fails_to_parse)
{
    static const char text[] =
        "{\"provider\": \"stats\",\n \"reports\": [\n  {\"year\": 2024,,}\n]}";
    char *path = s_write_file(text, sizeof text - 1);
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_null(kc_json_file_to_message(path, &kc__v1__submit_reports__descriptor, &errors));
    cr_assert_eq(errors.total, 1);
    cr_assert_eq(errors.items[0].code, KC_ERR_INPUT);
    cr_assert(strncmp(errors.items[0].detail, "line 3, column 17:", 18) == 0, "detail: %s",
              errors.items[0].detail);
    unlink(path);
    free(path);
    kc_errors_release(&errors);
}

Test(kc_json, reports_empty_truncated_and_missing_files)
{
    static const char *const texts[] = {"",     "  \n", "{\"provider\": \"st",
                                        "{} x", "null", "{\"provider\": 1}"};
    static const char *const details[] = {"line 1, column 1: the file is empty",
                                          "line 2, column 1: the file is empty",
                                          "line 1, column 18: unexpected end",
                                          "line 1, column 4:",
                                          "line 1, column 1: expected an object, found null",
                                          "expected a string, found a number"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *path = s_write_file(texts[i], strlen(texts[i]));
        kc_errors_t errors;
        kc_errors_init(&errors);
        cr_assert_null(kc_json_file_to_message(path, &kc__v1__submit_reports__descriptor, &errors));
        cr_assert_eq(errors.total, 1, "%s", texts[i]);
        cr_assert(strncmp(errors.items[0].detail, details[i], strlen(details[i])) == 0, "%s: %s",
                  texts[i], errors.items[0].detail);
        unlink(path);
        free(path);
        kc_errors_release(&errors);
    }
    kc_errors_t errors;
    kc_errors_init(&errors);
    cr_assert_null(kc_json_file_to_message("/nonexistent/request.json",
                                           &kc__v1__submit_reports__descriptor, &errors));
    cr_assert_eq(errors.total, 1);
    cr_assert_str_eq(errors.items[0].field, "/nonexistent/request.json");
    cr_assert_str_eq(errors.items[0].detail, "No such file or directory");
    kc_errors_release(&errors);
}
