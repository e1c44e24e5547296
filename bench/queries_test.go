package bench

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestReadQueries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.txt")
	if err := os.WriteFile(path, []byte("# comment\n医保卡跨省\n\n  潮虫  \n#x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadQueries(path)
	if err != nil || !reflect.DeepEqual(got, []string{"医保卡跨省", "潮虫"}) {
		t.Errorf("ReadQueries = %q, %v", got, err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("# only a comment\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadQueries(empty); err == nil {
		t.Error("a list without queries: no error")
	}
	if _, err := ReadQueries(filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("a missing list: no error")
	}
	// The checked-in list is what the tools read.
	if qs, err := ReadQueries("queries.txt"); err != nil || len(qs) < 300 {
		t.Errorf("bench/queries.txt: %d queries, %v", len(qs), err)
	}
}
