package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"healthsearch/search"
)

// Metrics are the Prometheus series of a server process. One Metrics per
// process: its registry also carries the Go runtime and process collectors.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	searchLatency prometheus.Histogram
	hits          prometheus.Histogram
	reloads       *prometheus.CounterVec
	builds        *prometheus.HistogramVec
}

// NewMetrics registers the series. stats, when not nil, is read at each
// scrape for the index generation and document count.
func NewMetrics(stats func() search.Stats) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthsearch_http_requests_total",
			Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "healthsearch_http_request_duration_seconds",
			Help:    "HTTP request latency by route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		searchLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "healthsearch_search_duration_seconds",
			Help:    "Time the engine spent on a search, facets and highlighting included.",
			Buckets: []float64{.0005, .001, .002, .004, .008, .016, .032, .064, .128, .256, .512, 1},
		}),
		hits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "healthsearch_search_hits",
			Help:    "Total hits found per search.",
			Buckets: []float64{0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000},
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthsearch_index_reloads_total",
			Help: "Index generation reloads by result (ok or error).",
		}, []string{"result"}),
		builds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "healthsearch_index_build_duration_seconds",
			Help:    "Duration of index builds run by this process, by result.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.latency, m.searchLatency, m.hits, m.reloads, m.builds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if stats != nil {
		reg.MustRegister(&indexCollector{stats: stats})
	}
	return m
}

// Registry exposes the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveReload counts a reload attempt.
func (m *Metrics) ObserveReload(err error) {
	if err != nil {
		m.reloads.WithLabelValues("error").Inc()
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
}

// ObserveBuild records an index build run by this process.
func (m *Metrics) ObserveBuild(d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.builds.WithLabelValues(result).Observe(d.Seconds())
}

func (m *Metrics) observeSearch(d time.Duration, total uint64) {
	m.searchLatency.Observe(d.Seconds())
	m.hits.Observe(float64(total))
}

// observed measures every search, whether the API or a page asked for it.
type observed struct {
	Searcher
	m *Metrics
}

func (o observed) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	start := time.Now()
	res, err := o.Searcher.Search(ctx, req)
	if err == nil {
		o.m.observeSearch(time.Since(start), res.Total)
	}
	return res, err
}

// middleware counts every request under its route pattern, never its raw
// path: raw paths would make one series per article id or probe URL.
func (m *Metrics) middleware(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// indexCollector reads the live generation's facts at scrape time, so the
// series follow reloads without anyone pushing updates.
type indexCollector struct {
	stats func() search.Stats
}

var (
	descGeneration = prometheus.NewDesc("healthsearch_index_generation_info",
		"The live index generation (value 1, name in the label).", []string{"generation"}, nil)
	descDocs = prometheus.NewDesc("healthsearch_index_documents",
		"Documents in the live index generation.", nil, nil)
	descBuilt = prometheus.NewDesc("healthsearch_index_built_timestamp_seconds",
		"When the live index generation was built.", nil, nil)
)

func (c *indexCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descGeneration
	ch <- descDocs
	ch <- descBuilt
}

func (c *indexCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(descGeneration, prometheus.GaugeValue, 1, st.Generation)
	ch <- prometheus.MustNewConstMetric(descDocs, prometheus.GaugeValue, float64(st.Docs))
	if !st.BuiltAt.IsZero() {
		ch <- prometheus.MustNewConstMetric(descBuilt, prometheus.GaugeValue, float64(st.BuiltAt.Unix()))
	}
}
