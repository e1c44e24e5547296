package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests share this harness: a fresh headless Chromium per test,
// started with the flags this machine's closed network needs, and a record
// of what the page did that a test must not miss.

// pageEvents records what a page did that a test must not miss: dialogs
// (injected script calling alert), uncaught exceptions and console errors
// such as CSP violations.
type pageEvents struct {
	mu      sync.Mutex
	dialogs []string
	errors  []string
}

func (e *pageEvents) add(list *[]string, s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	*list = append(*list, s)
}

func (e *pageEvents) snapshot() (dialogs, errors []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.dialogs), slices.Clone(e.errors)
}

// headlessChromium starts a fresh headless Chromium for one test, or skips
// the test in -short mode or where there is no Chromium.
func headlessChromium(t *testing.T, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) (context.Context, *pageEvents) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin := os.Getenv("HEALTHSEARCH_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if bin != "" {
			break
		}
		bin, _ = exec.LookPath(name)
	}
	if bin == "" {
		t.Skip("browser test skipped: no Chromium (apt-get install chromium, or set HEALTHSEARCH_CHROMIUM)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // CI containers run as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// No UserDataDir: chromedp makes a fresh profile and removes it
		// after the browser exits, which t.TempDir's cleanup cannot wait for.
		chromedp.WSURLReadTimeout(2 * time.Minute),
	}, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		// A browser newer than the protocol bindings sends event fields
		// they do not know; those are not events the tests use.
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") {
			t.Log(msg)
		}
	}))
	t.Cleanup(cancelBrowser)

	events := &pageEvents{}
	chromedp.ListenTarget(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdppage.EventJavascriptDialogOpening:
			events.add(&events.dialogs, string(ev.Type)+": "+ev.Message)
			// Dismiss it, or the page would hang waiting for a click.
			go chromedp.Run(bctx, cdppage.HandleJavaScriptDialog(false))
		case *runtime.EventExceptionThrown:
			events.add(&events.errors, "exception: "+ev.ExceptionDetails.Error())
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError && !strings.Contains(ev.Entry.Text, "favicon") {
				events.add(&events.errors, fmt.Sprintf("console %s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	return bctx, events
}
