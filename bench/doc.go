// Package bench holds the benchmark's query list (queries.txt) and reads
// it, for the load tool (cmd/hsload), the benchmark's in-process profile
// (cmd/hsbench) and the reindex load test (web).
package bench
