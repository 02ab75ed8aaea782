package deploy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slurmScenario is the sweep the real-Slurm test shards: 10 points in
// about 4 s on one core. Of its shard 1 of 3 (points 1, 4 and 7), point 1
// takes a fraction of a second and point 4 seconds, so the test can kill
// the task with one point journalled and one running.
const slurmScenario = "../scenarios/electricity-price-sweep.yaml"

// TestSlurmRequeue submits deploy/slurm/submit.sh to a one-node Slurm
// that it starts on localhost (munged, slurmctld and slurmd from Debian's
// slurm-wlm and munge, as root, with a slurm.conf of its own in a
// temporary directory): a 3-task array and its merge. Once task 1 has
// journalled a point it is requeued, as pre-emption or a node failure
// would (scontrol requeuehold, then release), and must resume: no point
// of its shard is simulated twice. The merged file must be byte-identical
// to one straight sweep of the scenario. Every daemon and job it started
// is stopped when it ends, and no step waits past the test's deadline.
func TestSlurmRequeue(t *testing.T) {
	if os.Getenv("CARDSEA_SLURM_ALONE") == "" {
		// Beside every other package's tests on 2 cores, the requeued
		// task's relaunch races slurmd's record of its kill ("already
		// killed, do not launch batch job"); make test runs it on its own.
		t.Skip("slurm: run on its own by make test (CARDSEA_SLURM_ALONE=1 go test -run TestSlurmRequeue ./deploy)")
	}
	start := time.Now()
	c := startSlurm(t)
	t.Logf("slurm up in %.1f s", time.Since(start).Seconds())
	sc, err := filepath.Abs(slurmScenario)
	if err != nil {
		t.Fatal(err)
	}
	bin := cardseaBinary(t)
	straight := filepath.Join(c.dir, "straight.csv")
	if out, err := c.command(bin, "sweep", sc, "--out", straight).CombinedOutput(); err != nil {
		t.Fatalf("straight sweep: %v\n%s", err, out)
	}

	t.Logf("straight sweep done at %.1f s", time.Since(start).Seconds())
	submit, err := filepath.Abs("slurm/submit.sh")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(c.dir, "results")
	// The node may have fewer CPUs than sweep.sbatch asks for.
	cmd := c.command("bash", submit, sc, "3", "--cpus-per-task=1", "--mem-per-cpu=1G")
	cmd.Env = append(cmd.Env, "CARDSEA="+bin, "OUT="+out)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("submit.sh: %v\n%s", err, b)
	}
	m := regexp.MustCompile(`sweep array job (\d+) .*merge job (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("submit.sh did not name its jobs:\n%s", b)
	}
	array, merge := string(m[1]), string(m[2])
	c.jobs = append(c.jobs, array, merge)
	task := array + "_1"

	// Kill task 1 once a point is in its journal, while it runs the next.
	journal := filepath.Join(out, "shard-1.csv.partial")
	polls := 0
	c.waitFor("task 1 to journal a point", 20*time.Millisecond, func() bool {
		if _, err := os.Stat(filepath.Join(out, "shard-1.csv")); err == nil {
			c.t.Fatalf("task 1 finished before it could be killed: the scenario runs too fast for this test\n%s", c.logs())
		}
		if polls++; polls%25 == 0 {
			c.failIfEnded(task)
		}
		return len(journalledPoints(journal)) > 0
	})
	t.Logf("task 1 requeued at %.1f s", time.Since(start).Seconds())
	c.scontrol("requeuehold", task)
	c.waitFor("task 1 to stop and pend", 100*time.Millisecond, func() bool {
		return c.squeue(task) == "PENDING"
	})
	before := journalledPoints(journal)
	// A second name for the journal: the resumed task appends to it and
	// removes its own name when it is done, this one stays.
	seen := filepath.Join(c.dir, "journal-seen")
	if err := os.Link(journal, seen); err != nil {
		t.Fatal(err)
	}
	c.scontrol("release", task)
	// A requeued job may start again only once its credential expired
	// (cred_expire, 120 s by default): let it start now.
	c.scontrol("update", "JobId="+task, "StartTime=now")

	c.waitFor("the merge job", 200*time.Millisecond, func() bool {
		return c.failIfEnded(merge) == "COMPLETED"
	})

	t.Logf("merged at %.1f s", time.Since(start).Seconds())
	if info := c.scontrol("show", "job", task); !strings.Contains(info, "Restarts=1") {
		t.Errorf("task 1 was not restarted once:\n%s", info)
	}
	after := journalledPoints(seen)
	times := map[int]int{}
	for _, p := range after {
		times[p]++
	}
	for p, n := range times {
		if n > 1 {
			t.Errorf("point %d was simulated %d times: the requeued task did not resume (journal before the kill: %v, after: %v)", p, n, before, after)
		}
	}
	t.Logf("task 1 journalled points %v before it was killed, %v in all", before, after)
	if len(after) <= len(before) {
		t.Errorf("the requeued task journalled nothing new: before the kill %v, after %v", before, after)
	}
	got, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatalf("%v\n%s", err, c.logs())
	}
	want, err := os.ReadFile(straight)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the merged shards differ from the straight sweep:\n%s\n---\n%s", got, want)
	}
}

// journalledPoints lists the point of each whole line of a sweep journal;
// a line still being written does not count.
func journalledPoints(path string) []int {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var points []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		var e struct {
			Point *int `json:"point"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Point != nil {
			points = append(points, *e.Point)
		}
	}
	return points
}

// slurm is a one-node Slurm cluster of the test's own.
type slurm struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	env  []string
	bins map[string]string
	jobs []string // the jobs to cancel if the test stops early
}

// startSlurm starts munged, slurmctld and slurmd on localhost, or skips
// the test where Slurm is not installed or cannot start.
func startSlurm(t *testing.T) *slurm {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("slurm: this test runs a Slurm node on Linux only")
	}
	c := &slurm{t: t, bins: map[string]string{}}
	for _, name := range []string{"munged", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "scancel", "sinfo", "bash"} {
		path, err := exec.LookPath(name)
		if err != nil {
			for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
				if _, serr := os.Stat(filepath.Join(dir, name)); serr == nil {
					path, err = filepath.Join(dir, name), nil
					break
				}
			}
		}
		if err != nil {
			t.Skipf("slurm: %s not installed; apt-get install slurm-wlm munge runs this test", name)
		}
		c.bins[name] = path
	}
	if os.Geteuid() != 0 {
		t.Skip("slurm: not root; slurmd must run as root to start jobs (CI and the dev machines are root)")
	}
	// Stopping everything takes 20 s at most (cancelJobs and three
	// daemons): leave that much before go test's own deadline.
	deadline := time.Now().Add(90 * time.Second)
	if d, ok := t.Deadline(); ok && d.Add(-25*time.Second).Before(deadline) {
		deadline = d.Add(-25 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	c.ctx = ctx

	// munged and slurmd put sockets in the directory: keep its path short.
	dir, err := os.MkdirTemp("", "slurm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c.dir = dir
	for _, d := range []string{"state", "spool", "log"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	key := make([]byte, 1024)
	rand.Read(key)
	if err := os.WriteFile(filepath.Join(dir, "munge.key"), key, 0o400); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "munge.sock")
	c.daemon("munged", "-F", "--force", "--key-file="+filepath.Join(dir, "munge.key"), "--socket="+sock,
		"--pid-file="+filepath.Join(dir, "munged.pid"), "--log-file="+filepath.Join(dir, "log", "munged.log"),
		"--seed-file="+filepath.Join(dir, "munged.seed"))
	c.waitUp("munged", func() bool { _, err := os.Stat(sock); return err == nil })

	mem := 1024
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil && kb/1024*9/10 > mem {
			mem = kb / 1024 * 9 / 10
		}
	}
	conf := filepath.Join(dir, "slurm.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, `ClusterName=cardseatest
SlurmctldHost=localhost
SlurmctldPort=%d
SlurmdPort=%d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[3]s/munge.sock
StateSaveLocation=%[3]s/state
SlurmdSpoolDir=%[3]s/spool
SlurmctldPidFile=%[3]s/slurmctld.pid
SlurmdPidFile=%[3]s/slurmd.pid
SlurmctldLogFile=%[3]s/log/slurmctld.log
SlurmdLogFile=%[3]s/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobRequeue=1
SchedulerParameters=sched_interval=1
NodeName=localhost NodeAddr=127.0.0.1 CPUs=%[4]d RealMemory=%[5]d State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`, freePort(t), freePort(t), dir, runtime.NumCPU(), mem), 0o644); err != nil {
		t.Fatal(err)
	}
	c.env = append(os.Environ(), "SLURM_CONF="+conf)
	c.daemon("slurmctld", "-D", "-f", conf)
	c.daemon("slurmd", "-D", "-N", "localhost", "-f", conf)
	c.waitUp("the node", func() bool {
		out, err := c.command(c.bins["sinfo"], "-h", "-N", "-o", "%T").Output()
		return err == nil && strings.TrimSpace(string(out)) == "idle"
	})
	// Runs first: end the test's jobs before the daemons stop.
	t.Cleanup(c.cancelJobs)
	return c
}

// freePort is a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// daemon starts a daemon in the foreground, logging to log/NAME.out, and
// stops it (SIGTERM, then SIGKILL after 5 s) when the test ends.
func (c *slurm) daemon(name string, args ...string) {
	c.t.Helper()
	logf, err := os.Create(filepath.Join(c.dir, "log", name+".out"))
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bins[name], args...)
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		c.t.Skipf("slurm: %s cannot start: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	c.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
}

// waitUp waits up to 20 s for a daemon to come up, or skips the test.
func (c *slurm) waitUp(what string, up func() bool) {
	c.t.Helper()
	for end := time.Now().Add(20 * time.Second); !up(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) || c.ctx.Err() != nil {
			c.t.Skipf("slurm: %s did not come up in 20 s, Slurm cannot run here:\n%s", what, c.logs())
		}
	}
}

// waitFor polls until done or the test's deadline.
func (c *slurm) waitFor(what string, every time.Duration, done func() bool) {
	c.t.Helper()
	for !done() {
		select {
		case <-c.ctx.Done():
			c.t.Fatalf("timed out waiting for %s\n%s", what, c.logs())
		case <-time.After(every):
		}
	}
}

// command is a command run in the cluster's directory (where sbatch puts
// the jobs' logs), against the cluster, killed at the deadline.
func (c *slurm) command(name string, args ...string) *exec.Cmd {
	if path := c.bins[name]; path != "" {
		name = path
	}
	cmd := exec.CommandContext(c.ctx, name, args...)
	cmd.Env = append([]string(nil), c.env...)
	cmd.Dir = c.dir
	return cmd
}

// scontrol runs scontrol and returns its output; it must succeed.
func (c *slurm) scontrol(args ...string) string {
	c.t.Helper()
	out, err := c.command("scontrol", args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("scontrol %s: %v\n%s\n%s", strings.Join(args, " "), err, out, c.logs())
	}
	return string(out)
}

// squeue is a job's state (PENDING, RUNNING, COMPLETED, ...), finished
// jobs included.
func (c *slurm) squeue(job string) string {
	out, _ := c.command("squeue", "-h", "-t", "all", "-j", job, "-o", "%T").Output()
	return strings.TrimSpace(string(out))
}

// failIfEnded fails the test if a job ended other than COMPLETED or can
// never start (a job it depends on failed), and returns its state.
func (c *slurm) failIfEnded(job string) string {
	c.t.Helper()
	out, _ := c.command("squeue", "-h", "-t", "all", "-j", job, "-o", "%T %r").Output()
	st, reason, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	switch st {
	case "", "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "COMPLETED", "REQUEUED", "REQUEUE_HOLD", "RESIZING", "SUSPENDED":
		if !strings.Contains(reason, "DependencyNeverSatisfied") {
			return st
		}
	}
	c.t.Fatalf("job %s: %s (%s)\n%s", job, st, reason, c.logs())
	return st
}

// cancelJobs cancels the test's jobs still queued or running and waits up
// to 5 s for them to end, so that no job step outlives slurmd.
func (c *slurm) cancelJobs() {
	if len(c.jobs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bins["scancel"], c.jobs...)
	cmd.Env = c.env
	cmd.Run()
	for ctx.Err() == nil {
		cmd := exec.CommandContext(ctx, c.bins["squeue"], "-h", "-j", strings.Join(c.jobs, ","), "-o", "%i")
		cmd.Env = c.env
		if out, err := cmd.Output(); err != nil || len(bytes.TrimSpace(out)) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// logs is the end of every daemon's and job's log, for a failure message.
func (c *slurm) logs() string {
	var b strings.Builder
	paths, _ := filepath.Glob(filepath.Join(c.dir, "log", "*"))
	jobs, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	for _, p := range append(paths, jobs...) {
		data, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			continue
		}
		if len(data) > 3000 {
			data = data[len(data)-3000:]
		}
		fmt.Fprintf(&b, "==> %s <==\n%s\n", filepath.Base(p), data)
	}
	return b.String()
}
