package indexer

import (
	"context"
	"sync"
	"time"
)

// BuildStatus is the state of the builds a Manager runs.
type BuildStatus struct {
	Running    bool       `json:"running"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Progress   Progress   `json:"progress"`
	// Last is the summary of the last finished build, Error its failure.
	Last  *Summary `json:"last,omitempty"`
	Error string   `json:"error,omitempty"`
}

// Manager runs one build at a time in the background, for a server that
// rebuilds its own index on request. The server picks the new generation up
// through its CURRENT watcher like any other build.
type Manager struct {
	opts     BuildOptions
	observer func(time.Duration, error)

	mu     sync.Mutex
	status BuildStatus
	wg     sync.WaitGroup
}

// NewManager returns a manager for builds with opts; observe, when set, is
// told the duration and result of each build.
func NewManager(opts BuildOptions, observe func(time.Duration, error)) *Manager {
	return &Manager{opts: opts, observer: observe}
}

// Start begins a build unless one is running (ErrBuildRunning). The build
// runs until it ends or ctx is cancelled.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.status.Running {
		return ErrBuildRunning
	}
	now := time.Now().UTC()
	m.status = BuildStatus{Running: true, StartedAt: &now, Last: m.status.Last}
	opts := m.opts
	opts.Progress = func(p Progress) {
		m.mu.Lock()
		m.status.Progress = p
		m.mu.Unlock()
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		sum, err := Build(ctx, opts)
		if m.observer != nil {
			m.observer(time.Since(now), err)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		end := time.Now().UTC()
		m.status.Running = false
		m.status.FinishedAt = &end
		m.status.Last = sum
		m.status.Error = ""
		if err != nil {
			m.status.Error = err.Error()
		}
	}()
	return nil
}

// Status returns a snapshot of the current or last build.
func (m *Manager) Status() BuildStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// Wait blocks until a running build ends.
func (m *Manager) Wait() { m.wg.Wait() }
