package indexer_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"healthsearch/analysis"
	"healthsearch/indexer"
	"healthsearch/search"
)

// The crash tests kill real processes: the test binary re-executes itself
// with HEALTHSEARCH_CRASH_HELPER set, and TestCrashHelperProcess then acts
// as `healthsearch index` or as a serving process instead of testing.
const (
	envHelper = "HEALTHSEARCH_CRASH_HELPER" // build | serve | build-fsize
	envSrc    = "HEALTHSEARCH_CRASH_SRC"
	envIndex  = "HEALTHSEARCH_CRASH_INDEX"
	envFsize  = "HEALTHSEARCH_CRASH_FSIZE"
	// envSeed overrides the seed of the kill moments, to replay a failure.
	envSeed = "HEALTHSEARCH_CRASH_SEED"
)

// helperReady is printed by a helper once its slow setup (the gse
// dictionary) is done, so kill moments fall in the work that matters.
const helperReady = "helper ready"

// hangGuard bounds every wait on a child process. It is no performance
// expectation: a shared machine may be slow, so it only stops a hang.
const hangGuard = 5 * time.Minute

func TestCrashHelperProcess(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		t.Skip("helper process of the crash tests; runs only when re-executed by them")
	}
	if err := runCrashHelper(mode); err != nil {
		fmt.Println("helper error:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func runCrashHelper(mode string) error {
	if _, err := analysis.Segmenter(); err != nil {
		return err
	}
	dir := os.Getenv(envIndex)
	switch mode {
	case "build-fsize":
		// A file size limit makes writes past it fail with EFBIG, like a
		// full disk, for this process only and also for root. Go ignores
		// SIGXFSZ, so the write returns the error instead of killing us.
		limit, err := strconv.ParseUint(os.Getenv(envFsize), 10, 64)
		if err != nil {
			return err
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			return err
		}
		fallthrough
	case "build":
		fmt.Println(helperReady)
		_, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{os.Getenv(envSrc)}, IndexDir: dir, Workers: 2, BatchSize: 50})
		return err
	case "serve":
		eng, err := search.Open(dir, search.Options{})
		if err != nil {
			return err
		}
		ctx := context.Background()
		go eng.Watch(ctx, 10*time.Millisecond)
		fmt.Println(helperReady)
		for {
			if _, err := eng.Search(ctx, search.Request{Query: "医保", Page: 1, Size: 10}); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// crashChild is a running helper process.
type crashChild struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the child is reaped
	err  error         // its exit status with its last output; set before done closes
}

// startHelper starts the test binary in helper mode and waits until it is
// ready.
func startHelper(t *testing.T, mode string, env ...string) *crashChild {
	t.Helper()
	// The timeout ends a helper this test fails to kill (the serving one
	// loops until killed) rather than leave it running.
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.timeout=10m")
	cmd.Env = append(append(os.Environ(), envHelper+"="+mode), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &crashChild{cmd: cmd, done: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		out := bufio.NewReader(stdout)
		first, _ := out.ReadString('\n')
		ready <- strings.TrimSpace(first)
		rest, _ := io.ReadAll(out)
		c.err = cmd.Wait()
		if c.err != nil && len(rest) > 0 {
			c.err = fmt.Errorf("%w: %s", c.err, strings.TrimSpace(string(rest)))
		}
		close(c.done)
	}()
	t.Cleanup(func() { c.kill(t) })
	select {
	case s := <-ready:
		if s != helperReady {
			c.kill(t)
			t.Fatalf("helper %s did not start: %q (%v)", mode, s, c.err)
		}
	case <-time.After(hangGuard):
		c.kill(t)
		t.Fatalf("helper %s: no sign of life", mode)
	}
	return c
}

// kill sends SIGKILL and reaps the child. It reports whether the child was
// still running, as far as can be told: one that has just exited but is
// not reaped yet counts as running.
func (c *crashChild) kill(t *testing.T) bool {
	t.Helper()
	select {
	case <-c.done:
		return false
	default:
	}
	_ = c.cmd.Process.Kill()
	select {
	case <-c.done:
	case <-time.After(hangGuard):
		t.Fatalf("child %d not reaped after SIGKILL", c.cmd.Process.Pid)
	}
	return true
}

// wait waits for the child to exit by itself and returns its exit error.
func (c *crashChild) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(hangGuard):
		t.Fatalf("child %d did not finish", c.cmd.Process.Pid)
		return nil
	}
}

// crashSource writes copies of the seed pages with distinct titles, so they
// are distinct articles and a build takes long enough to be killed in its
// middle.
func crashSource(t *testing.T, copies int) string {
	t.Helper()
	seeds, err := filepath.Glob(filepath.Join("..", "seeds", "*.txt"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seed pages: %v", err)
	}
	src := t.TempDir()
	for i := 0; i < copies; i++ {
		for _, s := range seeds {
			data, err := os.ReadFile(s)
			if err != nil {
				t.Fatal(err)
			}
			page := fmt.Sprintf("副本%d %s", i, data)
			name := fmt.Sprintf("copy%03d_%s", i, filepath.Base(s))
			if err := os.WriteFile(filepath.Join(src, name), []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return src
}

func crashBuild(t *testing.T, src, dir string) *indexer.Summary {
	t.Helper()
	sum, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{src}, IndexDir: dir, Workers: 2, BatchSize: 50})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return sum
}

// checkLive checks that CURRENT names a complete generation that opens
// and holds wantDocs documents, and returns its name.
func checkLive(t *testing.T, dir string, wantDocs uint64) string {
	t.Helper()
	path, err := indexer.CurrentGeneration(dir)
	if err != nil {
		t.Fatalf("live generation: %v", err)
	}
	name := filepath.Base(path)
	if strings.HasSuffix(name, ".building") {
		t.Fatalf("CURRENT names an unfinished build %s", name)
	}
	meta, err := indexer.ReadGenerationMeta(path)
	if err != nil {
		t.Fatalf("live generation %s has no metadata (incomplete?): %v", name, err)
	}
	if meta.Generation != name {
		t.Errorf("generation %s: metadata says %s", name, meta.Generation)
	}
	idx, err := bleve.OpenUsing(path, map[string]interface{}{"read_only": true})
	if err != nil {
		t.Fatalf("open live generation %s: %v", name, err)
	}
	defer idx.Close()
	res, err := idx.Search(bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 0, 0, false))
	if err != nil {
		t.Fatalf("query live generation %s: %v", name, err)
	}
	if res.Total != wantDocs || uint64(meta.Articles+meta.RelatedItems) != wantDocs {
		t.Errorf("live generation %s answers %d docs, metadata %d+%d, want %d", name, res.Total, meta.Articles, meta.RelatedItems, wantDocs)
	}
	q := bleve.NewMatchQuery("医保")
	q.SetField(indexer.FieldTitle)
	if res, err := idx.Search(bleve.NewSearchRequest(q)); err != nil || res.Total == 0 {
		t.Errorf("live generation %s: query 医保 found %v docs, %v", name, res.Total, err)
	}
	return name
}

// debris lists what killed builds leave in dir: unfinished generations,
// the lock and temporary files.
func debris(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".building") || strings.HasSuffix(n, ".tmp") || n == "build.lock" {
			out = append(out, n)
		}
	}
	return out
}

func countGenerations(t *testing.T, dir string) int {
	t.Helper()
	gens, err := filepath.Glob(filepath.Join(dir, "gen-*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range gens {
		if !strings.HasSuffix(g, ".building") {
			n++
		}
	}
	return n
}

func crashRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envSeed); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", envSeed, err)
		}
	}
	t.Logf("kill moments from seed %d (replay with %s=%d)", seed, envSeed, seed)
	return rand.New(rand.NewPCG(seed, 0))
}

// kill -9 of `healthsearch index` at random moments leaves the live
// generation serving and intact, and the next build clears the debris,
// succeeds and switches CURRENT.
func TestKillBuildAtRandomMoments(t *testing.T) {
	iterations, copies := 6, 12
	if testing.Short() {
		iterations, copies = 2, 6
	}
	src, dir := crashSource(t, copies), t.TempDir()
	// The dictionary loads before the helper reports ready, so it is no part
	// of the build time the kill moments are drawn from.
	if _, err := analysis.Segmenter(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	first := crashBuild(t, src, dir)
	buildTime := time.Since(start)
	wantDocs := uint64(first.Docs())
	live := checkLive(t, dir, wantDocs)
	rnd := crashRand(t)

	midBuild := 0
	for i := 0; i < iterations; i++ {
		// Up to a third past a build's in-process duration: most kills land
		// inside the build, some after it finished or while it publishes.
		delay := time.Duration(rnd.Int64N(int64(buildTime) * 4 / 3))
		child := startHelper(t, "build", envSrc+"="+src, envIndex+"="+dir)
		time.Sleep(delay)
		running := child.kill(t)
		left := debris(t, dir)
		if running {
			midBuild++
		}
		t.Logf("kill %d after %s: running=%v, debris %v", i, delay.Round(time.Millisecond), running, left)

		after := checkLive(t, dir, wantDocs)
		if after != live {
			// The child finished (or had switched CURRENT) before the kill.
			t.Logf("kill %d: the killed build had published %s", i, after)
		}

		sum := crashBuild(t, src, dir)
		if got := checkLive(t, dir, wantDocs); got != sum.Generation {
			t.Errorf("after a rebuild CURRENT is %s, built %s", got, sum.Generation)
		}
		if d := debris(t, dir); len(d) > 0 {
			t.Errorf("debris left after a successful build: %v", d)
		}
		if n := countGenerations(t, dir); n > 2 {
			t.Errorf("%d generations kept, want at most 2", n)
		}
		live = sum.Generation
	}
	t.Logf("%d of %d kills landed while the build was running", midBuild, iterations)
}

// kill -9 of a serving process while a build publishes a new generation,
// then a restart: the server opens the last complete generation.
func TestKillServerThenRestart(t *testing.T) {
	iterations, copies := 2, 8
	if testing.Short() {
		iterations, copies = 1, 4
	}
	src, dir := crashSource(t, copies), t.TempDir()
	if _, err := analysis.Segmenter(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	wantDocs := uint64(crashBuild(t, src, dir).Docs())
	buildTime := time.Since(start)
	rnd := crashRand(t)

	for i := 0; i < iterations; i++ {
		server := startHelper(t, "serve", envIndex+"="+dir)
		builder := startHelper(t, "build", envSrc+"="+src, envIndex+"="+dir)
		time.Sleep(time.Duration(rnd.Int64N(int64(buildTime) * 4 / 3)))
		// Both at once: the worst moment for a restart to find the directory.
		builder.kill(t)
		if !server.kill(t) {
			t.Fatalf("the serving helper had died before the kill: %v", server.wait(t))
		}

		want := checkLive(t, dir, wantDocs)
		eng, err := search.Open(dir, search.Options{})
		if err != nil {
			t.Fatalf("restart after kill %d: %v", i, err)
		}
		if got := eng.Stats().Generation; got != want {
			t.Errorf("restarted server serves %s, CURRENT is %s", got, want)
		}
		if got := eng.Stats().Docs; got != wantDocs {
			t.Errorf("restarted server has %d docs, want %d", got, wantDocs)
		}
		res, err := eng.Search(context.Background(), search.Request{Query: "医保", Page: 1, Size: 10})
		if err != nil || res.Total == 0 {
			t.Errorf("restarted server: search found %v, %v", res, err)
		}
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	}
}

// A build that runs out of space fails with the write error and leaves the
// live generation alone. RLIMIT_FSIZE makes any write past the limit fail
// (EFBIG) in the child only, which works without privileges; the tmpfs
// variant below hits a real ENOSPC where mounting is allowed.
func TestBuildFailsWhenWritesFail(t *testing.T) {
	src, dir := crashSource(t, 4), t.TempDir()
	wantDocs := uint64(crashBuild(t, src, dir).Docs())
	live := checkLive(t, dir, wantDocs)

	child := startHelper(t, "build-fsize", envSrc+"="+src, envIndex+"="+dir, envFsize+"="+strconv.Itoa(64<<10))
	err := child.wait(t)
	if err == nil {
		t.Fatal("build with a 64 KiB file size limit succeeded")
	}
	if !strings.Contains(err.Error(), "file too large") {
		t.Errorf("build failed with %v, want the write error (file too large)", err)
	}
	if got := checkLive(t, dir, wantDocs); got != live {
		t.Errorf("live generation changed from %s to %s by a failed build", live, got)
	}
	if d := debris(t, dir); len(d) > 0 {
		t.Errorf("failed build left %v", d)
	}
	if sum := crashBuild(t, src, dir); checkLive(t, dir, wantDocs) != sum.Generation {
		t.Error("the next build did not go live")
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory, or skips the
// test where mounting is not allowed (not root, no CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (%v)", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	return mnt
}

// fill writes a file into dir until the file system is full, then frees
// leave bytes so a build gets going before it runs out.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	var n int64
	for {
		w, err := f.Write(chunk)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(max(0, n-leave)); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBuildOnFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, 64<<20)
	src, dir := crashSource(t, 4), filepath.Join(mnt, "index")
	wantDocs := uint64(crashBuild(t, src, dir).Docs())
	live := checkLive(t, dir, wantDocs)
	filler := fill(t, mnt, 256<<10)

	_, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{src}, IndexDir: dir, Workers: 2, BatchSize: 50})
	if err == nil {
		t.Fatal("build on a full disk succeeded")
	}
	if !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("build failed with %v, want the ENOSPC error", err)
	}
	t.Logf("full disk: %v", err)
	if got := checkLive(t, dir, wantDocs); got != live {
		t.Errorf("live generation changed from %s to %s", live, got)
	}
	if d := debris(t, dir); len(d) > 0 {
		t.Errorf("failed build left %v", d)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if sum := crashBuild(t, src, dir); checkLive(t, dir, wantDocs) != sum.Generation {
		t.Error("the build after freeing space did not go live")
	}
}

// A read-only index directory (or disk) fails the build before it writes
// anything, with an error naming the cause, and the live generation keeps
// serving.
func TestBuildOnReadOnlyIndex(t *testing.T) {
	src := crashSource(t, 2)
	var dir string
	var makeReadOnly, makeWritable func() error
	if os.Geteuid() != 0 {
		dir = t.TempDir()
		makeReadOnly = func() error { return os.Chmod(dir, 0o555) }
		makeWritable = func() error { return os.Chmod(dir, 0o755) }
	} else {
		// Root ignores permissions: remount a tmpfs read-only instead.
		mnt := mountTmpfs(t, 64<<20)
		dir = filepath.Join(mnt, "index")
		remount := func(flags uintptr) error {
			return syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_REMOUNT|flags, "")
		}
		makeReadOnly = func() error { return remount(syscall.MS_RDONLY) }
		makeWritable = func() error { return remount(0) }
	}
	wantDocs := uint64(crashBuild(t, src, dir).Docs())
	live := checkLive(t, dir, wantDocs)
	if err := makeReadOnly(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = makeWritable() })

	_, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{src}, IndexDir: dir})
	if err == nil {
		t.Fatal("build into a read-only index directory succeeded")
	}
	if !errors.Is(err, syscall.EROFS) && !errors.Is(err, syscall.EACCES) {
		t.Errorf("build failed with %v, want a read-only or permission error", err)
	}
	t.Logf("read-only: %v", err)
	if got := checkLive(t, dir, wantDocs); got != live {
		t.Errorf("live generation changed from %s to %s", live, got)
	}
	// The live generation still serves from the read-only directory.
	eng, err := search.Open(dir, search.Options{})
	if err != nil {
		t.Fatalf("open the live generation on a read-only disk: %v", err)
	}
	if res, err := eng.Search(context.Background(), search.Request{Query: "医保", Page: 1, Size: 5}); err != nil || res.Total == 0 {
		t.Errorf("search on a read-only disk: %v, %v", res, err)
	}
	if err := eng.Close(); err != nil {
		t.Error(err)
	}
	if err := makeWritable(); err != nil {
		t.Fatal(err)
	}
	if sum := crashBuild(t, src, dir); checkLive(t, dir, wantDocs) != sum.Generation {
		t.Error("the build after the disk became writable did not go live")
	}
}
