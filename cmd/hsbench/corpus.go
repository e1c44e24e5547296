package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// corpusStamp identifies the generator and its input data. It is the stamp
// eval/run.sh writes, so `make eval` and `make bench` share one generated
// corpus in .cache/corpus: sha256 over corpus/make_pages.py, then every file
// of corpus/raw/ in name order, first 16 hex digits.
func corpusStamp(repo string) (string, error) {
	h := sha256.New()
	files := []string{filepath.Join(repo, "corpus", "make_pages.py")}
	raw, err := filepath.Glob(filepath.Join(repo, "corpus", "raw", "*"))
	if err != nil {
		return "", err
	}
	files = append(files, raw...)
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || !st.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("corpus stamp: %w", err)
		}
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ensureCorpus generates the corpus pages into cache/corpus unless a copy
// made by the same generator from the same data is there already.
func ensureCorpus(ctx context.Context, o options, log *logger) (string, error) {
	dir := filepath.Join(o.cache, "corpus")
	stamp, err := corpusStamp(o.repo)
	if err != nil {
		return "", err
	}
	if have, err := os.ReadFile(filepath.Join(dir, ".stamp")); err == nil && strings.TrimSpace(string(have)) == stamp {
		log.step("corpus pages cached in %s", dir)
		return dir, nil
	}
	log.step("generating corpus pages into %s", dir)
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, o.python, filepath.Join(o.repo, "corpus", "make_pages.py"), "--out", tmp, "--force", "-q")
	cmd.Stdout, cmd.Stderr = log.w, log.w
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("generate corpus: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".stamp"), []byte(stamp+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	return dir, os.Rename(tmp, dir)
}

// ensureCopies lays out n copies of the corpus as one source root,
// dir/copy1 … dir/copyN, made of hard links (the build's walker takes only
// regular files, so symbolic links would be skipped). Articles take their id
// from the page's path under the source root, so every copy is a distinct
// set of articles, while their related items collapse into one set.
func ensureCopies(corpus, dir string, n int) (string, error) {
	want, err := os.ReadFile(filepath.Join(corpus, ".stamp"))
	if err != nil {
		return "", err
	}
	stamp := fmt.Sprintf("%s x%d\n", strings.TrimSpace(string(want)), n)
	if have, err := os.ReadFile(filepath.Join(dir, ".stamp")); err == nil && string(have) == stamp {
		return dir, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	for i := 1; i <= n; i++ {
		dst := filepath.Join(dir, fmt.Sprintf("copy%d", i))
		err := filepath.WalkDir(corpus, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(corpus, path)
			if err != nil {
				return err
			}
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			if !strings.HasSuffix(path, ".txt") {
				return nil
			}
			return os.Link(path, filepath.Join(dst, rel))
		})
		if err != nil {
			return "", fmt.Errorf("copy corpus: %w", err)
		}
	}
	return dir, os.WriteFile(filepath.Join(dir, ".stamp"), []byte(stamp), 0o644)
}

// sources returns the --src folders of scale n: the seeds and the corpus,
// or the corpus's n-copy root.
func sources(o options, corpus string, n int) ([]string, error) {
	seeds := filepath.Join(o.repo, "seeds")
	if n == 1 {
		return []string{seeds, corpus}, nil
	}
	root, err := ensureCopies(corpus, filepath.Join(o.cache, "bench", fmt.Sprintf("corpus%dx", n)), n)
	if err != nil {
		return nil, err
	}
	return []string{seeds, root}, nil
}
