package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// Results is everything a run measured; bench/results.json holds it.
type Results struct {
	Machine Machine     `json:"machine"`
	Started time.Time   `json:"started"`
	Index   []*IndexRun `json:"index"`
	Serve   *ServeRun   `json:"serve"`
	// ServedCopies is the scale Serve measured.
	ServedCopies int        `json:"served_copies"`
	Race         []*RaceRun `json:"race,omitempty"`
	Targets      []Target   `json:"targets"`
	TotalS       float64    `json:"total_s"`
	LoadAvg      [2]string  `json:"load_average"` // /proc/loadavg at start and end
	Workers      int        `json:"workers"`
	Commands     []string   `json:"commands"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	MemoryGB  string `json:"memory_gb"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

// binaries are the measured programs, built once per run.
type binaries struct{ healthsearch, hsload, baseline string }

func benchmark(ctx context.Context, o options, stderr io.Writer) (*Results, error) {
	log := &logger{w: stderr, start: time.Now()}
	res := &Results{Started: time.Now().UTC(), Machine: machine(), Workers: o.workers}
	res.LoadAvg[0] = loadAvg()
	log.step("machine: %d × %s, %s; load average %s", res.Machine.CPUs, res.Machine.CPUModel, res.Machine.GoVersion, res.LoadAvg[0])

	corpus, err := ensureCorpus(ctx, o, log)
	if err != nil {
		return nil, err
	}
	bins, err := buildBinaries(ctx, o, log)
	if err != nil {
		return nil, err
	}
	// The bound loads the dictionary once; the indexer loads it in every run.
	dictLoad, err := loadDictionary()
	if err != nil {
		return nil, err
	}
	log.step("gse dictionary loaded in %.2fs", dictLoad.Seconds())

	scales := slices.Clone(o.scales)
	slices.Sort(scales)
	// The serving figures and their targets are of the 8× index when it
	// is built (the targets are set there), else of the largest.
	served := scales[len(scales)-1]
	if slices.Contains(scales, 8) {
		served = 8
	}
	var servedDir string
	for _, n := range scales {
		srcs, err := sources(o, corpus, n)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(o.cache, "bench", fmt.Sprintf("index%dx", n))
		r, err := indexScale(ctx, o, bins.healthsearch, dir, srcs, n, dictLoad, log)
		if err != nil {
			return nil, err
		}
		// The texts of the bound are garbage now; give the memory back
		// before the next child starts.
		debug.FreeOSMemory()
		res.Index = append(res.Index, r)
		if o.race {
			rr, err := race(ctx, o, bins, dir, n, log)
			if err != nil {
				return nil, err
			}
			res.Race = append(res.Race, rr)
		}
		if n == served {
			servedDir = dir
		} else if !o.keep {
			os.RemoveAll(dir)
		}
	}
	if res.Serve, err = serveBench(ctx, o, bins, servedDir, log); err != nil {
		return nil, err
	}
	res.ServedCopies = served
	if !o.keep {
		os.RemoveAll(servedDir)
	}
	res.LoadAvg[1] = loadAvg()
	res.Targets = targets(res)
	res.TotalS = time.Since(log.start).Seconds()
	res.Commands = []string{"hsbench " + strings.Join(os.Args[1:], " ")}
	log.step("done; load average %s", res.LoadAvg[1])
	return res, nil
}

func buildBinaries(ctx context.Context, o options, log *logger) (binaries, error) {
	dir, err := filepath.Abs(filepath.Join(o.cache, "bench", "bin"))
	if err != nil {
		return binaries{}, err
	}
	b := binaries{healthsearch: filepath.Join(dir, "healthsearch"), hsload: filepath.Join(dir, "hsload"), baseline: filepath.Join(dir, "baseline")}
	log.step("building healthsearch, hsload and the naive baseline into %s", dir)
	for pkg, out := range map[string]string{"./cmd/healthsearch": b.healthsearch, "./cmd/hsload": b.hsload, "./eval/baseline": b.baseline} {
		cmd := exec.CommandContext(ctx, o.goCmd, "build", "-o", out, pkg)
		cmd.Dir = o.repo
		cmd.Stdout, cmd.Stderr = log.w, log.w
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("go build %s: %w", pkg, err)
		}
	}
	return b, nil
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var kb int64
			if _, err := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); err == nil {
				m.MemoryGB = fmt.Sprintf("%.1f", float64(kb)/1024/1024)
				break
			}
		}
		f.Close()
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load average.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
