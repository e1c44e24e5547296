package indexer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// onePageSource is a source folder with one seed page: enough for tests of
// the generation machinery, and fast to build.
func onePageSource(t testing.TB) string {
	t.Helper()
	src := t.TempDir()
	data, err := os.ReadFile(filepath.Join(buildSeedsDir, "001_6a117c224b11a31a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "001.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

// dirNames lists the entries of dir, sorted.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func generations(t testing.TB, dir string) []string {
	var gens []string
	for _, n := range dirNames(t, dir) {
		if strings.HasPrefix(n, genPrefix) {
			gens = append(gens, n)
		}
	}
	return gens
}

func liveName(t testing.TB, dir string) string {
	t.Helper()
	path, err := CurrentGeneration(dir)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(path)
}

// assertLiveOpens checks that the live generation is gen and answers.
func assertLiveOpens(t *testing.T, dir, gen string) {
	t.Helper()
	if got := liveName(t, dir); got != gen {
		t.Errorf("live generation %s, want %s", got, gen)
	}
	if n, err := openLive(t, dir).DocCount(); err != nil || n == 0 {
		t.Errorf("live generation: %d docs, %v", n, err)
	}
}

func TestBuildSwitchesCurrentAndKeepsTwoGenerations(t *testing.T) {
	src, dir := onePageSource(t), t.TempDir()
	var built []string
	for i := 0; i < 3; i++ {
		sum := buildIndex(t, dir, 2, src)
		built = append(built, sum.Generation)
		if got := liveName(t, dir); got != sum.Generation {
			t.Fatalf("build %d: CURRENT = %s, want %s", i+1, got, sum.Generation)
		}
		if i > 0 && sum.Generation <= built[i-1] {
			t.Errorf("generation names do not sort by time: %s after %s", sum.Generation, built[i-1])
		}
	}
	// The live one and the one before it, which a server may still be
	// answering from for a moment.
	if got, want := generations(t, dir), built[1:]; !equalStrings(got, want) {
		t.Errorf("generations %v, want %v", got, want)
	}
	assertLiveOpens(t, dir, built[2])
}

func equalStrings(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestCurrentGeneration(t *testing.T) {
	dir := t.TempDir()
	if _, err := CurrentGeneration(dir); !errors.Is(err, ErrNoGeneration) {
		t.Errorf("empty dir: %v, want ErrNoGeneration", err)
	}
	for _, bad := range []string{"../etc", "gen-x/../../y", "gen-1.building", "other", ""} {
		if err := os.WriteFile(filepath.Join(dir, currentFile), []byte(bad+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := CurrentGeneration(dir); err == nil {
			t.Errorf("CURRENT %q accepted", bad)
		}
	}
	// A name that is valid but missing on disk.
	if err := os.WriteFile(filepath.Join(dir, currentFile), []byte("gen-20250101T000000.000000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CurrentGeneration(dir); err == nil {
		t.Error("CURRENT naming a missing generation accepted")
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.ProcessState.Pid()
	if processAlive(pid) {
		t.Skipf("pid %d was reused already", pid)
	}
	return pid
}

func TestBuildTakesOverStaleLock(t *testing.T) {
	src, dir := onePageSource(t), t.TempDir()
	for _, content := range []string{fmt.Sprintf("%d\n", deadPID(t)), "", "garbage"} {
		lock := filepath.Join(dir, lockFile)
		if err := os.WriteFile(lock, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		sum := buildIndex(t, dir, 1, src)
		assertLiveOpens(t, dir, sum.Generation)
		if _, err := os.Stat(lock); !os.IsNotExist(err) {
			t.Errorf("lock %q: not released after the build (%v)", content, err)
		}
	}
}

func TestBuildRefusesLiveLock(t *testing.T) {
	src, dir := onePageSource(t), t.TempDir()
	first := buildIndex(t, dir, 1, src)
	lock := filepath.Join(dir, lockFile)
	held := fmt.Sprintf("%d\n", os.Getpid())
	if err := os.WriteFile(lock, []byte(held), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), BuildOptions{Sources: []string{src}, IndexDir: dir})
	if !errors.Is(err, ErrBuildRunning) {
		t.Fatalf("build with a live lock: %v, want ErrBuildRunning", err)
	}
	if data, _ := os.ReadFile(lock); string(data) != held {
		t.Errorf("lock of the running build changed to %q", data)
	}
	if got, want := dirNames(t, dir), []string{currentFile, lockFile, first.Generation}; !equalStrings(got, want) {
		t.Errorf("index dir %v, want %v", got, want)
	}
	assertLiveOpens(t, dir, first.Generation)
}

// Builds started at once on one directory: each either runs alone or is
// refused, and the directory ends consistent.
func TestConcurrentBuilds(t *testing.T) {
	src, dir := onePageSource(t), t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	sums := make([]*Summary, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i], errs[i] = Build(context.Background(), BuildOptions{Sources: []string{src}, IndexDir: dir, Workers: 1})
		}()
	}
	wg.Wait()
	var ok []string
	for i, err := range errs {
		switch {
		case err == nil:
			ok = append(ok, sums[i].Generation)
		case !errors.Is(err, ErrBuildRunning):
			t.Errorf("build %d: %v, want success or ErrBuildRunning", i, err)
		}
	}
	if len(ok) == 0 {
		t.Fatal("no build succeeded")
	}
	sort.Strings(ok)
	assertLiveOpens(t, dir, ok[len(ok)-1])
	for _, n := range dirNames(t, dir) {
		if n != currentFile && !strings.HasPrefix(n, genPrefix) || strings.HasSuffix(n, buildingSuffix) {
			t.Errorf("left behind: %s", n)
		}
	}
}

func TestBuildRemovesDebris(t *testing.T) {
	src, dir := onePageSource(t), t.TempDir()
	first := buildIndex(t, dir, 1, src)
	debris := filepath.Join(dir, genPrefix+"20000101T000000.000000000"+buildingSuffix)
	if err := os.MkdirAll(filepath.Join(debris, "store"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(debris, "store", "half.zap"), []byte("half-written"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := buildIndex(t, dir, 1, src)
	if _, err := os.Stat(debris); !os.IsNotExist(err) {
		t.Errorf("debris of a killed build still there: %v", err)
	}
	if got, want := dirNames(t, dir), []string{currentFile, first.Generation, second.Generation}; !equalStrings(got, want) {
		t.Errorf("index dir %v, want %v", got, want)
	}
}

func TestFailedBuildKeepsLiveGeneration(t *testing.T) {
	src, dir := onePageSource(t), t.TempDir()
	first := buildIndex(t, dir, 1, src)
	before := dirNames(t, dir)
	_, err := Build(context.Background(), BuildOptions{Sources: []string{filepath.Join(src, "missing")}, IndexDir: dir})
	if err == nil {
		t.Fatal("build of a missing source succeeded")
	}
	if !strings.Contains(err.Error(), "missing") {
		t.Errorf("error %q does not name the source", err)
	}
	if after := dirNames(t, dir); !equalStrings(before, after) {
		t.Errorf("index dir changed from %v to %v", before, after)
	}
	assertLiveOpens(t, dir, first.Generation)
}

func TestCancelledBuildKeepsLiveGeneration(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	copyDir(t, buildSeedsDir, src)
	first := buildIndex(t, dir, 1, onePageSource(t))
	before := dirNames(t, dir)

	t.Run("before it starts", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Build(ctx, BuildOptions{Sources: []string{src}, IndexDir: dir, Workers: 1})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("after the first page", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := Build(ctx, BuildOptions{Sources: []string{src}, IndexDir: dir, Workers: 1,
			Progress: func(Progress) { cancel() }})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	if after := dirNames(t, dir); !equalStrings(before, after) {
		t.Errorf("index dir changed from %v to %v", before, after)
	}
	assertLiveOpens(t, dir, first.Generation)
	// The lock was released: the next build runs.
	buildIndex(t, dir, 1, src)
}
