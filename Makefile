# kechuang build.
#
#   make            release build of every daemon and kcctl into build/release
#   make test       sanitizer build (ASan + UBSan) of everything, then every test
#   make demo       the demo of intake and scoring on a throwaway local PostgreSQL
#   make bench      the intake benchmark against pgbench on the same cluster
#   make fuzz       libFuzzer targets for a short fixed time (FUZZ_SECONDS)
#   make deps       install the Debian packages the build and the demo need
#   make format     clang-format every C file in place
#
# The protobuf-c code is generated from proto/ into the build tree; nothing
# generated is committed. Every build directory is self-contained, so the
# release and sanitizer builds live side by side.

MODE ?= release
B := build/$(MODE)

CC ?= cc
CSTD := -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
PKGS := libzmq libprotobuf-c libpq json-c inih libcrypto libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(MODE),asan)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDSAN := -fsanitize=address,undefined
else
  OPT := -O2 -g
  LDSAN :=
endif

CFLAGS := $(CSTD) $(WARN) $(OPT) -Iinclude -I$(B)/gen -Iservices -Itests/support $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -lm

PROTOS := $(wildcard proto/kc/v1/*.proto)
GEN_C := $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)
# The lunar festivals' dates, from Debian's python3-lunardate (not PATH's
# python3: the build must read the system's package).
GEN_LUNAR := $(B)/gen/kc_calendar_lunar.c

COMMON_SRC := $(wildcard services/common/*.c)
INTAKE_SRC := $(filter-out services/intake/main.c,$(wildcard services/intake/*.c))
KCCTL_SRC := $(filter-out services/kcctl/main.c,$(wildcard services/kcctl/*.c))
SCORING_SRC := $(filter-out services/scoring/main.c,$(wildcard services/scoring/*.c))
WORKFLOW_SRC := $(filter-out services/workflow/main.c,$(wildcard services/workflow/*.c))
NOTIFY_SRC := $(filter-out services/notify/main.c,$(wildcard services/notify/*.c))
# the process definitions (parse, check, who may act): a library of their
# own, read by kc-workflow, kc-notify and kcctl, none linking another daemon
PROCESS_SRC := $(wildcard services/process/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
SUPPORT_SRC := $(wildcard tests/support/*.c)
INTEG_SRC := $(wildcard tests/integration/*.c)
BENCH_SRC := $(wildcard bench/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBKC := $(B)/lib/libkc.a
LIBINTAKE := $(B)/lib/libintake.a
LIBKCCTL := $(B)/lib/libkcctl.a
LIBSCORING := $(B)/lib/libscoring.a
LIBWORKFLOW := $(B)/lib/libworkflow.a
LIBPROCESS := $(B)/lib/libprocess.a
LIBNOTIFY := $(B)/lib/libnotify.a
BINS := $(B)/bin/kc-intake $(B)/bin/kc-scoring $(B)/bin/kc-workflow $(B)/bin/kc-notify $(B)/bin/kc-link $(B)/bin/kcctl
TESTS := $(B)/tests/unit $(B)/tests/integration
BENCHES := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all test build-tests demo bench fuzz deps format lint clean
.SECONDARY: $(GEN_C) $(GEN_H) $(GEN_LUNAR)

all: $(BINS)

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/gen
	@echo '  PROTOC-C proto/kc/v1'
	@protoc-c --proto_path=proto --c_out=$(B)/gen $(PROTOS)

$(GEN_LUNAR): services/common/kc_calendar_lunar.py
	@mkdir -p $(B)/gen
	@echo '  GEN  $@'
	@/usr/bin/python3 $< $@

$(B)/obj/$(B)/gen/%.o: $(B)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	@echo '  CC (generated) $<'
	@$(CC) $(CSTD) $(OPT) -Wall -Werror -Iinclude -I$(B)/gen $(PKG_CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.c $(GEN_H) $(wildcard include/kc/*.h services/*/*.h tests/support/*.h bench/*.h)
	@mkdir -p $(dir $@)
	@echo '  CC $<'
	@$(CC) $(CFLAGS) -c $< -o $@

$(LIBKC): $(call obj,$(COMMON_SRC)) $(call obj,$(GEN_C) $(GEN_LUNAR))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBINTAKE): $(call obj,$(INTAKE_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBKCCTL): $(call obj,$(KCCTL_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBSCORING): $(call obj,$(SCORING_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBPROCESS): $(call obj,$(PROCESS_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBWORKFLOW): $(call obj,$(WORKFLOW_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBNOTIFY): $(call obj,$(NOTIFY_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(B)/bin/kc-notify: $(call obj,services/notify/main.c) $(LIBNOTIFY) $(LIBPROCESS) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

$(B)/bin/kc-link: $(call obj,services/link/main.c services/link/link_server.c services/link/link_stream.c services/link/link_peers.c) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

$(B)/bin/kc-intake: $(call obj,services/intake/main.c) $(LIBINTAKE) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

$(B)/bin/kc-scoring: $(call obj,services/scoring/main.c) $(LIBSCORING) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

$(B)/bin/kc-workflow: $(call obj,services/workflow/main.c) $(LIBWORKFLOW) $(LIBPROCESS) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

$(B)/bin/kcctl: $(call obj,services/kcctl/main.c) $(LIBKCCTL) $(LIBSCORING) $(LIBWORKFLOW) $(LIBNOTIFY) $(LIBINTAKE) $(LIBPROCESS) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

$(B)/tests/unit: $(call obj,$(UNIT_SRC) tests/support/catalogue_fixture.c) $(LIBKCCTL) $(LIBSCORING) $(LIBNOTIFY) $(LIBWORKFLOW) $(LIBINTAKE) $(LIBPROCESS) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) -lcriterion

$(B)/tests/integration: $(call obj,$(INTEG_SRC) $(SUPPORT_SRC)) $(LIBKCCTL) $(LIBSCORING) $(LIBNOTIFY) $(LIBWORKFLOW) $(LIBINTAKE) $(LIBPROCESS) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) -lcriterion

$(B)/bench/%: $(call obj,bench/%.c) $(LIBKCCTL) $(LIBSCORING) $(LIBWORKFLOW) $(LIBINTAKE) $(LIBPROCESS) $(LIBKC)
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

# The test command of the README: sanitizer build, lint, unit, integration, a short fuzz run.
test:
	$(MAKE) MODE=asan build-tests
	deploy/local/run-tests.sh build/asan

build-tests: $(BINS) $(TESTS)

demo:
	deploy/local/demo.sh

bench:
	$(MAKE) MODE=release all $(BENCHES)
	bench/run.sh build/release

fuzz:
	tests/fuzz/run.sh $${FUZZ_SECONDS:-20}

deps:
	deploy/local/install-deps.sh

format:
	find include services tests bench -name "*.[ch]" -print0 | xargs -0 clang-format -i

lint:
	.ci/lint.sh

clean:
	rm -rf build
