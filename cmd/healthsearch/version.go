package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version and commit are set at link time by the Makefile (-ldflags -X).
var (
	version = "dev"
	commit  = "unknown"
)

func runVersion(w io.Writer) error {
	fmt.Fprintf(w, "healthsearch %s (commit %s)\n", version, commit)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(w, "go %s\n", bi.GoVersion)
		for _, dep := range bi.Deps {
			switch dep.Path {
			case "github.com/blevesearch/bleve/v2", "github.com/go-ego/gse", "github.com/gin-gonic/gin":
				fmt.Fprintf(w, "%s %s\n", dep.Path, dep.Version)
			}
		}
	}
	return nil
}
