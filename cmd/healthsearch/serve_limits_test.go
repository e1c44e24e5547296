package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startLimitServer serves h on a loopback port with the server settings of
// `healthsearch serve`.
func startLimitServer(t *testing.T, h http.Handler) (*http.Server, string) {
	t.Helper()
	srv := newHTTPServer(h, defaultConfig())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return srv, ln.Addr().String()
}

// The server has every timeout set and caps the request header, so a slow
// or oversized client cannot hold a connection or memory for long.
func TestHTTPServerLimits(t *testing.T) {
	cfg := defaultConfig()
	srv := newHTTPServer(http.NotFoundHandler(), cfg)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("server without a limit: %+v", srv)
	}
	// A request may run for its deadline; the write timeout must leave it
	// time to write the answer (a timeout JSON included).
	if srv.WriteTimeout <= cfg.RequestTimeout {
		t.Errorf("write timeout %s does not exceed the request deadline %s", srv.WriteTimeout, cfg.RequestTimeout)
	}
}

func TestHTTPServerRejectsOversizedHeaders(t *testing.T) {
	_, addr := startLimitServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	get := func(path string, header http.Header) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET with %d header bytes: %v", len(path)+len(header.Get("X-Padding")), err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if got := get("/", http.Header{"X-Padding": {strings.Repeat("a", 4<<10)}}); got != http.StatusOK {
		t.Errorf("4 KB header: status %d, want 200", got)
	}
	// net/http allows 4 KB of slack over MaxHeaderBytes; 4× the cap is over
	// it whatever the slack.
	big := strings.Repeat("a", 4*maxHeaderBytes)
	if got := get("/", http.Header{"X-Padding": {big}}); got != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("%d KB header: status %d, want 431", len(big)>>10, got)
	}
	many := http.Header{}
	for i := 0; i < 2000; i++ {
		many.Add("X-Many", "abcdefghijklmnop")
	}
	if got := get("/", many); got != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("2000 header lines: status %d, want 431", got)
	}
	// The request line counts too: a giant query string is refused before
	// any handler parses it.
	if got := get("/api/search?q="+big, nil); got != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("%d KB URL: status %d, want 431", len(big)>>10, got)
	}
}

// A client that starts a request and never finishes its headers (slowloris)
// is disconnected after ReadHeaderTimeout.
func TestHTTPServerDropsSlowHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the server's header timeout")
	}
	srv, addr := startLimitServer(t, http.NotFoundHandler())
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	// Hang guard only: well past the server's timeout.
	conn.SetReadDeadline(time.Now().Add(srv.ReadHeaderTimeout + time.Minute))
	_, err = bufio.NewReader(conn).ReadString('\n')
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server kept a connection with unfinished headers open past %s", srv.ReadHeaderTimeout+time.Minute)
	}
	// The server either closes silently (EOF) or answers 408/400 and closes.
}
