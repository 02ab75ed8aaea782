# cardsea — see README.md. Every target installs what it needs through the
# Go module proxy; nothing else is required but Go 1.26.
GO          ?= go
BIN         := bin/cardsea
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The deterministic core, the network model and the parallel sweep runner get
# the race detector.
RACE_PKGS   := ./sim/... ./topology/... ./network/... ./scenario/...

.PHONY: all build test vet lint unit race demo bench bench-scale bench-scale-cli fmt docs fuzz clean

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/cardsea

## test: vet, staticcheck, all unit tests, and the race detector on the core.
test: vet lint unit race

vet:
	$(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...

unit:
	$(GO) test ./...
	CARDSEA_SLURM_ALONE=1 $(GO) test -count=1 -run '^TestSlurmRequeue$$' ./deploy
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  echo "make test: NOTE TestReportInChromium was SKIPPED: no chromium here (apt-get install chromium runs it)"
	@{ command -v slurmctld || [ -x /usr/sbin/slurmctld ]; } >/dev/null 2>&1 && { command -v munged || [ -x /usr/sbin/munged ]; } >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] || \
	  echo "make test: NOTE TestSlurmRequeue was SKIPPED: no slurmctld and munged here, or not root (apt-get install slurm-wlm munge, as root, runs it)"

race:
	$(GO) test -race $(RACE_PKGS)
	$(GO) test -race -run 'Sweep' ./cmd/cardsea

## demo: build, then run the embedded default comparison.
demo: build
	./$(BIN) demo

## bench: Go benchmarks (compare runs with benchstat).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

## bench-scale: the scale cases of issue #12 (1,024 to 131,072 ranks, 1 GiB
## allreduce, and 1,024 to 16,384 ranks 1 GiB alltoall, with the algorithm
## Auto picks), one run an op, five times;
## compare with benchstat. Slow: minutes a run on 2 cores.
bench-scale:
	$(GO) test -run '^$$' -bench '^BenchmarkScale' -benchtime 1x -count 5 -benchmem -timeout 0 ./collective/

## bench-scale-cli: the same scale cases through the CLI, as a user runs
## them, with the wall time of each (bash's time: real, user, sys).
SCALE_CASES := \
  "--topo hgx-h100 --domains 128 --op allreduce" \
  "--topo hgx-h100 --domains 128 --op alltoall" \
  "--topo gb200-nvl72 --domains 16 --op allreduce" \
  "--topo hgx-h100 --domains 2048 --op allreduce" \
  "--topo hgx-h100 --domains 2048 --op alltoall" \
  "--topo hgx-h100 --domains 16384 --op allreduce" \
  "--topo hgx-h100 --domains 16384 --op alltoall" \
  "--topo atlas-950 --op allreduce" \
  "--topo atlas-950 --op alltoall"
bench-scale-cli: build
	@for c in $(SCALE_CASES); do \
	  echo "cardsea collective $$c --sizes 1GiB"; \
	  bash -c "TIMEFORMAT='  %R s real, %U s user, %S s sys'; time ./$(BIN) collective $$c --sizes 1GiB --format csv >/dev/null" || exit 1; \
	done

## fuzz: a short run of every fuzz target. Minimising an input is capped at
## 200 runs: with a whole cases.yaml as a seed, Go's minimiser stalled the
## validation fuzzer at 0 execs/s for minutes (the parser itself takes
## under a millisecond on every input it was stuck near).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 10s -fuzzminimizetime 200x $$pkg || exit 1; \
	  done; \
	done

fmt:
	gofmt -w $$(git ls-files '*.go')

## docs: regenerate docs/presets.md from the preset data.
docs:
	$(GO) run ./docgen/gendocs

clean:
	rm -rf bin
