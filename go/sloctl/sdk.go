// Package sloctl instruments a Go service for its sloctl contract: exactly the series the Node
// SDK (sloctl/sdk) exports, error classes from a classifier that walks the error chain, and the
// same health endpoint, read from the contract JSON `sloctl generate contract slo.yaml` writes.
//
//	c, err := sloctl.LoadFile("slo.json")         // or sloctl.Load(embedded), sloctl.LoadEnv()
//	sdk, err := sloctl.New(c, sloctl.Options{})
//	http.ListenAndServe(addr, sdk.Middleware(mux)) // serves /healthz and /metrics too
//
// Standard library and client_golang only; gin and echo adapters are the sub-packages
// sloctlgin and sloctlecho.
package sloctl

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options tune the SDK; the zero value is the Node SDK's defaults.
type Options struct {
	// Registry the series go to. Default: a new registry with client_golang's Go and process
	// collectors (go_goroutines, go_memstats_*, process_*). Pass
	// prometheus.DefaultRegisterer.(*prometheus.Registry) to share the default one.
	Registry *prometheus.Registry
	// Registerer, when Registry is nil: register the SDK's series there instead (a wrapped or
	// prefixed registerer, prometheus.DefaultRegisterer); the metrics path then serves Gatherer
	// (default: the Registerer itself if it is a *prometheus.Registry, else
	// prometheus.DefaultGatherer).
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// NoRuntimeCollectors leaves the Go and process collectors out of a registry the SDK creates.
	NoRuntimeCollectors bool
	// Routes are route templates beyond the contract's, matched against the request path like the
	// contract's: "/products/:id", "GET /orders", "/files/*". The contract's routes are always
	// matched (with their methods).
	Routes []string
	// RouteOf returns the template the request matched (your router's), or "" for none. It wins
	// over Routes; SetRoute in a handler wins over both.
	RouteOf func(*http.Request) string
	// MaxRoutes is how many templates beyond the contract's get their own label. Default 100.
	MaxRoutes int
	// Serve the contract's health and metrics paths from Middleware. Default true (NoServe false).
	NoServe bool
	// DegradedStatus is the health endpoint's HTTP status for DEGRADED. Default 503.
	DegradedStatus int
	// HealthWindow, HealthMinRequests, HealthDownBelow override the contract JSON's health policy.
	HealthWindow      time.Duration
	HealthMinRequests int
	HealthDownBelow   float64
	// OnError is called with an error a handler panicked with or reported. Default: log.Printf.
	OnError func(r *http.Request, err error)
}

// SDK is an instrumented service's contract at run time. Safe for concurrent use.
type SDK struct {
	Contract   *Contract
	Classifier *Classifier
	// Registry holds the series (nil when Options.Registerer was given); Gatherer is what the
	// metrics path serves.
	Registry *prometheus.Registry
	Gatherer prometheus.Gatherer
	// Buckets are the histogram's upper bounds, in seconds.
	Buckets []float64

	opts     Options
	routes   *routeTable
	matcher  *Matcher
	recent   *recentWindow
	policy   HealthPolicy
	deps     map[string]*Dependency
	depOrder []string
	draining atomic.Bool
	inFlight atomic.Int64
	degraded int

	duration *prometheus.HistogramVec
	requests *prometheus.CounterVec
	weighted *prometheus.CounterVec
	metrics  http.Handler
}

// New instruments a service for its contract.
func New(c *Contract, opts Options) (*SDK, error) {
	if c == nil {
		return nil, fmt.Errorf("sloctl: New needs a contract: sloctl.LoadFile(\"slo.json\") (written by `sloctl generate contract slo.yaml -o slo.json`)")
	}
	s := &SDK{Contract: c, Classifier: NewClassifier(c.ErrorClasses), opts: opts, policy: c.Health, deps: map[string]*Dependency{}}
	if opts.HealthWindow > 0 {
		s.policy.WindowMs = float64(opts.HealthWindow / time.Millisecond)
	}
	if opts.HealthMinRequests > 0 {
		s.policy.MinRequests = opts.HealthMinRequests
	}
	if opts.HealthDownBelow > 0 {
		s.policy.DownBelow = opts.HealthDownBelow
	}
	s.degraded = opts.DegradedStatus
	if s.degraded == 0 {
		s.degraded = http.StatusServiceUnavailable
	}
	max := opts.MaxRoutes
	if max <= 0 {
		max = 100
	}
	s.routes = newRouteTable(c, []string{c.Paths.Health, c.Paths.Metrics}, max, len(s.Classifier.classes))
	templates := make([]string, 0, len(c.Routes)+len(opts.Routes))
	for _, r := range c.Routes {
		templates = append(templates, r.Method+" "+r.Path)
	}
	s.matcher = NewMatcher(append(templates, opts.Routes...))
	s.recent = newRecentWindow(s.policy.WindowMs, 10)
	for _, d := range c.Dependencies {
		s.deps[d.Name] = &Dependency{Name: d.Name, Critical: d.Critical}
		s.depOrder = append(s.depOrder, d.Name)
	}
	for _, ms := range c.BucketsMs {
		s.Buckets = append(s.Buckets, ms/1000)
	}

	var reg prometheus.Registerer
	switch {
	case opts.Registry != nil:
		s.Registry, s.Gatherer, reg = opts.Registry, opts.Registry, opts.Registry
	case opts.Registerer != nil:
		reg, s.Gatherer = opts.Registerer, opts.Gatherer
		if r, ok := reg.(*prometheus.Registry); ok {
			s.Registry = r
			if s.Gatherer == nil {
				s.Gatherer = r
			}
		}
		if s.Gatherer == nil {
			s.Gatherer = prometheus.DefaultGatherer
		}
	default:
		r := prometheus.NewRegistry()
		if !opts.NoRuntimeCollectors {
			r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		}
		s.Registry, s.Gatherer, reg = r, r, r
	}
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: RequestDurationName, Help: helpRequestDuration, Buckets: s.Buckets}, []string{"method", "route", "status_class", "sli_class"})
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: RequestsName, Help: helpRequests}, []string{"method", "route", "status_class", "error_class"})
	s.weighted = prometheus.NewCounterVec(prometheus.CounterOpts{Name: WeightedRequestsName, Help: helpWeightedRequests}, []string{"method", "route", "sli_class"})
	inFlight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: InFlightName, Help: helpInFlight}, func() float64 { return float64(s.inFlight.Load()) })
	weights := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: ErrorClassWeightName, Help: helpErrorClassWeight}, []string{"error_class", "good"})
	for _, k := range s.Classifier.classes {
		weights.WithLabelValues(k.Class, strconv.FormatBool(k.Good)).Set(k.Weight)
	}
	availability := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: AvailabilityName, Help: helpAvailability}, func() float64 {
		return s.Health(context.Background()).Availability
	})
	// Each declared route's series for a successful answer, at zero, before its first request (the
	// Node SDK's recorder.prime): the route shows on /metrics from the start, so `validate --target`
	// reads its buckets and labels on a service that has served nothing yet, and Prometheus'
	// increase(), which takes a series' first sample as its baseline, counts the route's first request.
	for _, r := range c.Routes {
		s.prime(s.routes.lookup(r.Method, r.Path))
	}
	cs := []prometheus.Collector{s.duration, s.requests, s.weighted, inFlight, weights, availability}
	if len(s.deps) > 0 {
		cs = append(cs, &dependencyCollector{s: s, desc: prometheus.NewDesc(DependencyUpName, helpDependencyUp, []string{"dependency", "critical"}, nil)})
	}
	for _, col := range cs {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("sloctl: cannot register the SDK's metrics (%v): call sloctl.New once per registry, or pass Options{Registry: prometheus.NewRegistry()}", err)
		}
	}
	s.metrics = promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{})
	return s, nil
}

type dependencyCollector struct {
	s    *SDK
	desc *prometheus.Desc
}

func (d *dependencyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *dependencyCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range d.s.dependencyStates(context.Background()) {
		// Nothing attached reports its state: no series rather than a 1 that claims it is up.
		if st.State == "unknown" {
			continue
		}
		v := 1.0
		if st.State == "down" {
			v = 0
		}
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, v, st.Name, strconv.FormatBool(st.Critical))
	}
}

// Dependency is a declared dependency, to attach its breaker or check to.
func (s *SDK) Dependency(name string) (*Dependency, error) {
	if d, ok := s.deps[name]; ok {
		return d, nil
	}
	known := append([]string(nil), s.depOrder...)
	sort.Strings(known)
	if len(known) == 0 {
		return nil, fmt.Errorf("sloctl: the contract declares no dependency %q (it declares none); add it under `dependencies:` in %s", name, s.source())
	}
	return nil, fmt.Errorf("sloctl: the contract declares no dependency %q (it declares: %v); add it under `dependencies:` in %s", name, known, s.source())
}

// MustDependency is Dependency that panics on an undeclared name (for set-up code).
func (s *SDK) MustDependency(name string) *Dependency {
	d, err := s.Dependency(name)
	if err != nil {
		panic(err)
	}
	return d
}

func (s *SDK) source() string {
	if s.Contract.Source != "" {
		return s.Contract.Source
	}
	return "slo.yaml"
}

func (s *SDK) dependencyStates(ctx context.Context) []DependencyState {
	out := make([]DependencyState, len(s.depOrder))
	var wg sync.WaitGroup
	for i, name := range s.depOrder {
		wg.Add(1)
		go func(i int, d *Dependency) {
			defer wg.Done()
			out[i] = d.State(ctx)
		}(i, s.deps[name])
	}
	wg.Wait()
	return out
}

// Health is the health composite now.
func (s *SDK) Health(ctx context.Context) HealthReport {
	live := !s.draining.Load()
	reason := ""
	if !live {
		reason = "draining: the service is shutting down"
	}
	return composeHealth(live, reason, s.recent.totals(), s.dependencyStates(ctx), s.policy)
}

// Drain marks the service as shutting down: health answers 503 DOWN.
func (s *SDK) Drain() { s.draining.Store(true) }

// ClassifyError classifies an error per the contract (queues, jobs: not only HTTP).
func (s *SDK) ClassifyError(err error) Classification { return s.Classifier.Error(err) }

// ClassifyStatus classifies a response status per the contract.
func (s *SDK) ClassifyStatus(status int) Classification { return s.Classifier.Status(status) }

// HealthHandler answers the health JSON: 200 UP, 503 DOWN, DEGRADED per Options (503).
func (s *SDK) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		report := s.Health(r.Context())
		body, err := json.Marshal(report)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		code := http.StatusOK
		switch report.Status {
		case "DOWN":
			code = http.StatusServiceUnavailable
		case "DEGRADED":
			code = s.degraded
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

// MetricsHandler serves the registry's exposition (promhttp.HandlerFor).
func (s *SDK) MetricsHandler() http.Handler { return s.metrics }

// ServeEndpoint serves the contract's health or metrics path when the request is a GET or HEAD
// for one; true when it did. Adapters call it first.
func (s *SDK) ServeEndpoint(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.NoServe || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	switch r.URL.Path {
	case s.Contract.Paths.Health:
		s.HealthHandler().ServeHTTP(w, r)
		return true
	case s.Contract.Paths.Metrics:
		w.Header().Set("Cache-Control", "no-store")
		s.metrics.ServeHTTP(&explicitStatus{ResponseWriter: w}, r)
		return true
	}
	return false
}

type ctxKey struct{}

// Tracker is one request being timed: adapters Start it, handlers report errors to it (Fail),
// adapters Finish it.
type Tracker struct {
	s     *SDK
	start time.Time
	r     *http.Request
	mu    sync.Mutex
	err   error
	route string
	done  bool
}

// Start begins timing a request; the returned request carries the tracker in its context (for
// Fail and SetRoute).
func (s *SDK) Start(r *http.Request) (*Tracker, *http.Request) {
	s.inFlight.Add(1)
	t := &Tracker{s: s, start: time.Now()}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, t))
	t.r = r
	return t, r
}

func trackerOf(r *http.Request) *Tracker {
	if r == nil {
		return nil
	}
	t, _ := r.Context().Value(ctxKey{}).(*Tracker)
	return t
}

// Fail reports the error a request failed with, for its error class (the response status is
// what the handler writes; Error writes one). The first error reported wins. A request the
// middleware does not track: nothing happens.
func Fail(r *http.Request, err error) {
	if t := trackerOf(r); t != nil {
		t.Fail(err)
	}
}

// FailContext is Fail for code that only has the request's context.
func FailContext(ctx context.Context, err error) {
	if t, _ := ctx.Value(ctxKey{}).(*Tracker); t != nil {
		t.Fail(err)
	}
}

// Error reports err (Fail) and answers it: the 4xx/5xx status the error carries
// (StatusCode() int or HTTPStatus() int along its chain), else 500, with the status text.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	Fail(r, err)
	code := ResponseStatus(err)
	http.Error(w, http.StatusText(code), code)
}

// SetRoute names the route template a request matched, from the handler (wins over Options).
func SetRoute(r *http.Request, template string) {
	if t := trackerOf(r); t != nil {
		t.mu.Lock()
		t.route = template
		t.mu.Unlock()
	}
}

// Fail reports the request's error (the first one wins).
func (t *Tracker) Fail(err error) {
	if err == nil {
		return
	}
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
}

// Err is the error reported so far.
func (t *Tracker) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Route is the template SetRoute named, or "".
func (t *Tracker) Route() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.route
}

// Finish records the request: template is the route template it matched ("" for none:
// "unmatched", unless SetRoute named one, or the path is a probe's), status what was
// sent, aborted true when the client went away first. Returns the duration. Once per tracker.
func (t *Tracker) Finish(template string, status int, aborted bool) time.Duration {
	d := time.Since(t.start)
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return d
	}
	t.done = true
	if t.route != "" {
		template = t.route
	}
	err := t.err
	t.mu.Unlock()
	s := t.s
	s.inFlight.Add(-1)
	r := t.r
	var sl *slot
	if template == "" {
		sl = s.routes.unmatchedFor(r.Method, r.URL.Path)
	} else {
		sl = s.routes.lookup(r.Method, template)
	}
	if sl.probeUA != "" && len(r.UserAgent()) >= len(sl.probeUA) && r.UserAgent()[:len(sl.probeUA)] == sl.probeUA {
		sl = s.routes.excludedSlot
	}
	if sl.excluded {
		return d
	}
	k := s.Classifier
	sc := statusClassIndex(status)
	var ci int
	switch {
	case err != nil && aborted:
		sc = statusAborted
		ci = k.errorIndex(err, -1)
	case err != nil:
		ci = k.errorIndex(err, status)
	case aborted:
		sc = statusAborted
		ci = k.aborted
	default:
		ci = k.statusIndex(status)
	}
	ms := float64(d) / float64(time.Millisecond)
	h := sl.hist[sc].Load()
	if h == nil {
		h = &observerBox{s.duration.WithLabelValues(sl.method, sl.route, statusClasses[sc], sl.sliClass)}
		sl.hist[sc].Store(h)
	}
	h.Observe(ms / 1000)
	c := &sl.counts[sc*len(k.classes)+ci]
	cb := c.Load()
	if cb == nil {
		cb = &counterBox{s.requests.WithLabelValues(sl.method, sl.route, statusClasses[sc], k.classes[ci].Class)}
		c.Store(cb)
	}
	cb.Inc()
	w := sl.weighted.Load()
	if w == nil {
		w = &counterBox{s.weighted.WithLabelValues(sl.method, sl.route, sl.sliClass)}
		sl.weighted.Store(w)
	}
	w.Add(sl.weight)
	if sl.judged {
		s.recent.record(ms <= sl.thresholdMs, k.classes[ci].Weight)
	}
	return d
}

// prime makes a slot's series for a 200 answer (histogram, request counter, weighted counter) at zero.
func (s *SDK) prime(sl *slot) {
	if sl.excluded {
		return
	}
	k := s.Classifier
	sc := statusClassIndex(http.StatusOK)
	ci := k.statusIndex(http.StatusOK)
	if sl.hist[sc].Load() == nil {
		sl.hist[sc].Store(&observerBox{s.duration.WithLabelValues(sl.method, sl.route, statusClasses[sc], sl.sliClass)})
	}
	if c := &sl.counts[sc*len(k.classes)+ci]; c.Load() == nil {
		c.Store(&counterBox{s.requests.WithLabelValues(sl.method, sl.route, statusClasses[sc], k.classes[ci].Class)})
	}
	if sl.weighted.Load() == nil {
		sl.weighted.Store(&counterBox{s.weighted.WithLabelValues(sl.method, sl.route, sl.sliClass)})
	}
}

func (s *SDK) resolve(r *http.Request) string {
	if s.opts.RouteOf != nil {
		if t := s.opts.RouteOf(r); t != "" {
			return t
		}
	}
	return s.matcher.Match(r.Method, r.URL.Path)
}

func (s *SDK) onError(r *http.Request, err error) {
	if s.opts.OnError != nil {
		s.opts.OnError(r, err)
		return
	}
	log.Printf("sloctl: %s %s: %v", r.Method, r.URL.Path, err)
}

// PanicError is a panic the middleware recovered, as an error (Value is what was panicked with;
// an error value is wrapped, so its chain classifies).
type PanicError struct{ Value interface{} }

func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Unwrap is the panicked error, if the panic value was one.
func (p *PanicError) Unwrap() error {
	if e, ok := p.Value.(error); ok {
		return e
	}
	return nil
}

// explicitStatus sends 200 explicitly before a body written without WriteHeader: a framework's
// writer may hold another status for the request already (gin presets 404 for a path no route
// matched, and the metrics path is one).
type explicitStatus struct {
	http.ResponseWriter
	wrote bool
}

func (w *explicitStatus) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *explicitStatus) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}
