# The README's two commands.  Everything else is CMake's (CMakeLists.txt).
#
#   make run    install what is missing, build, start glossd on ./var/
#               (LISTEN=tcp://127.0.0.1:7411 adds that listener to its socket)
#   make test   install, build (plain and ASan+UBSan), check format, run ctest
#   make stress the long crash and fuzz runs (ctest -L stress), not in test

JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
BUILD   ?= build
ASAN    ?= build-asan
DATA    ?= var
LISTEN  ?=

.PHONY: all deps build build-asan run test test-plain test-asan stress \
	format format-check clean

all: build

deps:
	@./tools/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DGLOSS_FUZZ=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DGLOSS_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)

# glossd's socket is DATA/glossd.sock; with LISTEN it must be named too, since
# --listen replaces the default.
run: build
	@mkdir -p -m 700 $(DATA)
	./$(BUILD)/glossd --data $(DATA) $(if $(LISTEN),--listen \
		ipc://$(abspath $(DATA))/glossd.sock $(addprefix --listen ,$(LISTEN)))

test: format-check test-plain test-asan

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE stress

test-asan: build-asan
	cd $(ASAN) && ctest --output-on-failure -j $(JOBS) -LE stress

# One at a time: each is long, and loads the machine on its own.
stress: build
	cd $(BUILD) && ctest --output-on-failure -L stress

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check: deps
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN)
