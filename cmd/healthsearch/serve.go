package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"healthsearch/indexer"
	"healthsearch/search"
	"healthsearch/web"
)

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	hopts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, hopts))
	}
	return slog.New(slog.NewTextHandler(w, hopts))
}

// maxHeaderBytes bounds a request's line and headers: a URL with a query
// of the longest allowed search fits many times over.
const maxHeaderBytes = 16 << 10

// newHTTPServer returns the server with the limits that keep slow or
// oversized clients from holding connections and memory: read and write
// timeouts around the per-request deadline, an idle timeout, a header cap.
func newHTTPServer(h http.Handler, cfg Config) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// serveContext is the parent of serve's lifetime, which also ends on
// SIGINT or SIGTERM. Tests replace it to stop an in-process serve without
// signalling the whole test binary.
var serveContext = context.Background

func runServe(args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("serve", args, stderr, os.Getenv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve: unexpected arguments %q", rest)
	}
	log := newLogger(cfg, stderr)
	dict, err := loadServingDict(cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	vocab, err := vocabulary(cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}

	ctx, stop := signal.NotifyContext(serveContext(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var metrics *web.Metrics
	eng, err := search.Open(cfg.Index, search.Options{
		Logger:     log,
		Vocabulary: vocab,
		Dict:       dict,
		OnReload: func(_ string, err error) {
			if metrics != nil {
				metrics.ObserveReload(err)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer eng.Close()
	metrics = web.NewMetrics(eng.Stats)
	go eng.Watch(ctx, cfg.ReloadInterval)

	wopts := web.Options{
		Logger:         log,
		RequestTimeout: cfg.RequestTimeout,
		LogQueries:     cfg.LogQueries,
		Metrics:        metrics,
		CORSOrigins:    cfg.CORSOrigins,
		BaseContext:    ctx,
	}
	if cfg.AdminToken != "" {
		bopts, err := buildOptions(cfg)
		if err != nil {
			return fmt.Errorf("serve: admin reindex: %w", err)
		}
		// A rebuild cuts with the dictionary the server serves with.
		bopts.Dict = dict
		mgr := indexer.NewManager(bopts, metrics.ObserveBuild)
		defer mgr.Wait()
		wopts.AdminToken, wopts.Reindexer = cfg.AdminToken, mgr
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := newHTTPServer(web.NewHandler(eng, wopts), cfg)
	st := eng.Stats()
	log.Info("serving", "addr", ln.Addr().String(), "generation", st.Generation, "docs", st.Docs)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}
