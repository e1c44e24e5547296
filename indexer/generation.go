package indexer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// On-disk layout of an index directory:
//
//	CURRENT             name of the live generation, replaced by rename
//	gen-<utc time>/     one complete, immutable bleve index per build
//	gen-<…>.building/   a build in progress (or debris of a killed one)
//	build.lock          held by the running build; holds its pid
const (
	currentFile     = "CURRENT"
	lockFile        = "build.lock"
	genPrefix       = "gen-"
	buildingSuffix  = ".building"
	keepGenerations = 2
)

// ErrNoGeneration means the index directory has no complete generation yet.
var ErrNoGeneration = errors.New("no index generation (run `healthsearch index` first)")

// CurrentGeneration returns the path of the live generation of indexDir.
func CurrentGeneration(indexDir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(indexDir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", indexDir, ErrNoGeneration)
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", currentFile, err)
	}
	name := strings.TrimSpace(string(data))
	if !strings.HasPrefix(name, genPrefix) || strings.ContainsAny(name, `/\`) || strings.HasSuffix(name, buildingSuffix) {
		return "", fmt.Errorf("%s/%s: invalid generation name %q", indexDir, currentFile, name)
	}
	path := filepath.Join(indexDir, name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("live generation: %w", err)
	}
	return path, nil
}

// switchCurrent points CURRENT at gen. Write-to-temp, fsync and rename make
// the switch atomic: a reader sees the old name or the new one, never a mix,
// and a crash leaves one of the two.
func switchCurrent(indexDir, gen string) error {
	tmp := filepath.Join(indexDir, currentFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("switch generation: %w", err)
	}
	if _, err := f.WriteString(gen + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("switch generation: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("switch generation: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("switch generation: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(indexDir, currentFile)); err != nil {
		return fmt.Errorf("switch generation: %w", err)
	}
	return syncDir(indexDir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// newGenerationName is sortable by time, so "newest" is a string compare.
func newGenerationName(now time.Time) string {
	return genPrefix + now.UTC().Format("20060102T150405.000000000")
}

// cleanGenerations removes debris of interrupted builds and all complete
// generations but the newest keepGenerations (the live one always stays).
// The previous generation is kept because a server may still be answering
// from it for a moment after the switch.
func cleanGenerations(indexDir, live string) error {
	entries, err := os.ReadDir(indexDir)
	if err != nil {
		return err
	}
	var complete []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, genPrefix) {
			continue
		}
		if strings.HasSuffix(name, buildingSuffix) {
			errs = append(errs, os.RemoveAll(filepath.Join(indexDir, name)))
			continue
		}
		complete = append(complete, name)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(complete)))
	kept := 0
	for _, name := range complete {
		if name == live || kept < keepGenerations {
			kept++
			continue
		}
		errs = append(errs, os.RemoveAll(filepath.Join(indexDir, name)))
	}
	return errors.Join(errs...)
}

// buildLock is an exclusive lock on an index directory held by one build.
type buildLock struct{ path string }

// acquireBuildLock creates the lock file exclusively. A lock whose process
// no longer exists is stale (a killed build) and is taken over.
func acquireBuildLock(indexDir string) (*buildLock, error) {
	path := filepath.Join(indexDir, lockFile)
	for attempt := 0; attempt < 3; attempt++ {
		err := createLockFile(path)
		if err == nil {
			return &buildLock{path: path}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("build lock: %w", err)
		}
		data, rerr := os.ReadFile(path)
		if rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return nil, fmt.Errorf("build lock: %w", rerr)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		if pid > 0 && processAlive(pid) {
			return nil, fmt.Errorf("%w: %s is held by running build pid %d", ErrBuildRunning, path, pid)
		}
		// Stale: the holder died without releasing it (kill -9).
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale build lock: %w", err)
		}
	}
	return nil, fmt.Errorf("build lock %s: could not acquire", path)
}

// createLockFile creates path holding our pid, failing with os.ErrExist when
// it exists. The pid is written to a temporary file that is then hard-linked
// into place, so another build never sees the lock empty (which it would
// take for stale and remove) between its creation and the write.
func createLockFile(path string) error {
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	tmp, err := os.CreateTemp(filepath.Dir(path), lockFile+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(pid)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return fmt.Errorf("write build lock: %w", err)
	}
	err = os.Link(tmp.Name(), path)
	if err == nil || errors.Is(err, os.ErrExist) {
		return err
	}
	// No hard links on this file system: create in place, which leaves the
	// short window open.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, werr = f.Write(pid)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("write build lock: %w", err)
	}
	return nil
}

// ErrBuildRunning means another build holds the index directory.
var ErrBuildRunning = errors.New("another build is running")

func (l *buildLock) release() error {
	if err := os.Remove(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("release build lock: %w", err)
	}
	return nil
}

func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
