/*  methodology_formula: derived indicators as small arithmetic formulas.
 *
 *  A derived indicator ("万人有效发明专利拥有量 = B02 / B03") is computed from
 *  submitted values, so counties report the base data the statistics
 *  offices actually keep and the ratio is computed one way for everyone.
 *  The grammar is deliberately tiny: numbers, codes ([A-Z][A-Z0-9]*),
 *  + - * /, unary minus and parentheses. The text is compiled once, with
 *  Dijkstra's shunting-yard algorithm, into reverse Polish notation over
 *  the methodology's inputs, and evaluated per county on a fixed-size
 *  stack: no allocation, no recursion, and the same order of IEEE
 *  operations on every machine.
 *
 *  A formula has no value (eval returns 0) when an operand is missing, a
 *  divisor is zero or the result is not finite: the engine then treats the
 *  indicator as not reported, which never pays (composite-indicators.md §3).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoring/methodology_internal.h"

/* Operator stack entries: the binary operators by their character, unary
 * minus as 'n', and '(' waiting for its ')'. */
typedef struct {
    const char *text; /* the whole formula, for positions in messages */
    const char *at;   /* next character to read */
    sc_formula_t *out;
    sc_formula_refs_t *refs;
    char stack[SC_FORMULA_MAX_OPS];
    size_t depth;
    kc_error_t *error;
} s_compiler_t;

static int s_fail(s_compiler_t *self, const char *what)
{
    return kc_error_set(self->error, KC_ERR_INVALID_FORMAT, NULL,
                        "%s at character %d of formula '%s'", what,
                        (int)(self->at - self->text) + 1, self->text);
}

static int s_emit(s_compiler_t *self, sc_op_kind_t kind, double constant, int input)
{
    if (self->out->n_ops == SC_FORMULA_MAX_OPS)
        return kc_error_set(self->error, KC_ERR_TOO_LONG, NULL,
                            "formula '%s' has more than %d steps", self->text, SC_FORMULA_MAX_OPS);
    sc_op_t *op = &self->out->ops[self->out->n_ops++];
    op->kind = kind;
    op->constant = constant;
    op->input = input;
    return 0;
}

static int s_emit_operator(s_compiler_t *self, char symbol)
{
    switch (symbol) {
    case '+':
        return s_emit(self, SC_OP_ADD, 0, -1);
    case '-':
        return s_emit(self, SC_OP_SUB, 0, -1);
    case '*':
        return s_emit(self, SC_OP_MUL, 0, -1);
    case '/':
        return s_emit(self, SC_OP_DIV, 0, -1);
    default:
        return s_emit(self, SC_OP_NEG, 0, -1);
    }
}

static int s_precedence(char symbol)
{
    if (symbol == 'n')
        return 3; /* binds tighter than anything: -a*b is (-a)*b, the same value */
    if (symbol == '*' || symbol == '/')
        return 2;
    if (symbol == '+' || symbol == '-')
        return 1;
    return 0; /* '(' is never popped by an operator */
}

static int s_push(s_compiler_t *self, char symbol)
{
    if (self->depth == SC_FORMULA_MAX_OPS)
        return s_fail(self, "formula nested too deeply");
    self->stack[self->depth++] = symbol;
    return 0;
}

/* A binary operator first moves every operator of equal or higher
 * precedence to the output: all four are left associative. */
static int s_binary(s_compiler_t *self, char symbol)
{
    while (self->depth > 0 && s_precedence(self->stack[self->depth - 1]) >= s_precedence(symbol))
        if (s_emit_operator(self, self->stack[--self->depth]))
            return -1;
    return s_push(self, symbol);
}

static int s_close(s_compiler_t *self)
{
    while (self->depth > 0 && self->stack[self->depth - 1] != '(')
        if (s_emit_operator(self, self->stack[--self->depth]))
            return -1;
    if (self->depth == 0)
        return s_fail(self, "')' without '('");
    self->depth--;
    return 0;
}

static int s_number(s_compiler_t *self)
{
    const char *start = self->at;
    while (isdigit((unsigned char)*self->at))
        self->at++;
    if (*self->at == '.') {
        self->at++;
        if (!isdigit((unsigned char)*self->at))
            return s_fail(self, "a digit must follow the decimal point");
        while (isdigit((unsigned char)*self->at))
            self->at++;
    }
    char digits[64];
    size_t length = (size_t)(self->at - start);
    if (length >= sizeof digits)
        return s_fail(self, "number too long");
    memcpy(digits, start, length);
    digits[length] = '\0';
    return s_emit(self, SC_OP_CONST, strtod(digits, NULL), -1);
}

static int s_code(s_compiler_t *self)
{
    const char *start = self->at;
    while (isupper((unsigned char)*self->at) || isdigit((unsigned char)*self->at))
        self->at++;
    size_t length = (size_t)(self->at - start);
    if (length >= SC_CODE_MAX)
        return s_fail(self, "code too long");
    char code[SC_CODE_MAX];
    memcpy(code, start, length);
    code[length] = '\0';
    size_t i = 0;
    while (i < self->refs->n_codes && strcmp(self->refs->codes[i], code) != 0)
        i++;
    if (i == self->refs->n_codes) {
        if (i == SC_FORMULA_MAX_OPS)
            return s_fail(self, "too many codes");
        memcpy(self->refs->codes[i], code, length + 1);
        self->refs->n_codes++;
    }
    return s_emit(self, SC_OP_INPUT, 0, (int)i);
}

/* One token where an operand is expected: a number, a code, '(' or a
 * unary minus. `*expect_operand` tells the caller what comes next. */
static int s_operand(s_compiler_t *self, bool *expect_operand)
{
    char c = *self->at;
    if (c == '(' || c == '-') {
        self->at++;
        return s_push(self, c == '(' ? '(' : 'n');
    }
    *expect_operand = false;
    if (isdigit((unsigned char)c))
        return s_number(self);
    if (isupper((unsigned char)c))
        return s_code(self);
    if (c == '\0')
        return s_fail(self, "an operand is missing");
    if (islower((unsigned char)c))
        return s_fail(self, "codes are upper case (I01, B02): unexpected lower-case letter");
    return s_fail(self, "expected a number, a code, '(' or '-'");
}

/* One token after an operand: a binary operator or ')'. */
static int s_operator(s_compiler_t *self, bool *expect_operand)
{
    char c = *self->at;
    if (c == ')') {
        int rc = s_close(self); /* an unmatched ')' is reported where it stands */
        self->at++;
        return rc;
    }
    if (c == '+' || c == '-' || c == '*' || c == '/') {
        self->at++;
        *expect_operand = true;
        return s_binary(self, c);
    }
    return s_fail(self, "expected an operator (+ - * /) or ')'");
}

static int s_finish(s_compiler_t *self)
{
    while (self->depth > 0) {
        char symbol = self->stack[--self->depth];
        if (symbol == '(')
            return s_fail(self, "'(' without ')'");
        if (s_emit_operator(self, symbol))
            return -1;
    }
    return 0;
}

int methodology_formula_compile(const char *text, sc_formula_t *out, sc_formula_refs_t *refs,
                                kc_error_t *error)
{
    memset(out, 0, sizeof *out);
    memset(refs, 0, sizeof *refs);
    kc_error_clear(error);
    size_t length = strlen(text);
    if (length >= sizeof out->text)
        return kc_error_set(error, KC_ERR_TOO_LONG, NULL, "formula is %zu bytes, at most %zu",
                            length, sizeof out->text - 1);
    memcpy(out->text, text, length + 1);
    s_compiler_t self = {out->text, out->text, out, refs, {0}, 0, error};
    bool expect_operand = true;
    for (;;) {
        while (*self.at == ' ' || *self.at == '\t')
            self.at++;
        if (*self.at == '\0' && !expect_operand)
            break;
        if (*self.at == '\0' && out->n_ops == 0 && self.depth == 0)
            return kc_error_set(error, KC_ERR_REQUIRED, NULL, "formula is empty");
        int rc =
            expect_operand ? s_operand(&self, &expect_operand) : s_operator(&self, &expect_operand);
        if (rc)
            return -1;
    }
    if (s_finish(&self))
        return -1;
    return 0;
}

int methodology_formula_eval(const sc_formula_t *formula, const double *values,
                             const uint8_t *present, double *out)
{
    double stack[SC_FORMULA_MAX_OPS];
    size_t depth = 0;
    if (!formula || formula->n_ops == 0 || formula->n_ops > SC_FORMULA_MAX_OPS)
        return 0;
    for (size_t i = 0; i < formula->n_ops; i++) {
        const sc_op_t *op = &formula->ops[i];
        if (op->kind == SC_OP_CONST || op->kind == SC_OP_INPUT) {
            if (op->kind == SC_OP_INPUT && (op->input < 0 || !present[op->input]))
                return 0;
            stack[depth++] = op->kind == SC_OP_CONST ? op->constant : values[op->input];
            continue;
        }
        if (op->kind == SC_OP_NEG) {
            if (depth < 1)
                return 0;
            stack[depth - 1] = -stack[depth - 1];
            continue;
        }
        if (depth < 2)
            return 0;
        double b = stack[--depth];
        double *a = &stack[depth - 1];
        if (op->kind == SC_OP_ADD)
            *a = *a + b;
        else if (op->kind == SC_OP_SUB)
            *a = *a - b;
        else if (op->kind == SC_OP_MUL)
            *a = *a * b;
        else if (b == 0.0)
            return 0;
        else
            *a = *a / b;
    }
    if (depth != 1 || !isfinite(stack[0]))
        return 0;
    *out = stack[0];
    return 1;
}
