// Command healthsearch builds and serves the health-article search index.
//
//	healthsearch index --src DIR [--src DIR…] --index DIR   build a new generation
//	healthsearch serve --index DIR [--addr 127.0.0.1:8080]  serve the API and pages
//	healthsearch query --index DIR "医保卡跨省"               print the top hits
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "healthsearch:", err)
		os.Exit(1)
	}
}

const usage = `usage: healthsearch <command> [flags]

commands:
  index   build an index generation from folders of pages
  serve   serve the search API and pages
  query   print the top hits for a query
  config  print the effective configuration (flags > HEALTHSEARCH_* env > --config file > defaults)
  version print version information

Run "healthsearch <command> -h" for a command's flags.
`

// run is main without the process: tests call it with their own writers.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "index":
		return runIndex(args[1:], stdout, stderr)
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "query":
		return runQuery(args[1:], stdout, stderr)
	case "version":
		return runVersion(stdout)
	case "config":
		cfg, _, err := loadConfig("config", args[1:], stderr, os.Getenv)
		if err != nil {
			return err
		}
		printConfig(stdout, cfg)
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
