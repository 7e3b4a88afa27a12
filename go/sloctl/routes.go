package sloctl

import (
	"log"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Route labels (src/sdk/route-table.ts).
const (
	Unmatched       = "unmatched"
	Overflow        = "overflow"
	DefaultSLIClass = "default"
)

type slot struct {
	route       string
	method      string
	sliClass    string
	weight      float64
	thresholdMs float64
	excluded    bool
	judged      bool
	probeUA     string

	// Series handles, made on first use (so a request costs no label hashing afterwards):
	// the histogram by status class, the counter by status class x error class.
	hist     [len(statusClasses)]atomic.Pointer[observerBox]
	counts   []atomic.Pointer[counterBox]
	weighted atomic.Pointer[counterBox]
}

type observerBox struct{ prometheus.Observer }
type counterBox struct{ prometheus.Counter }

type routeTable struct {
	c            *Contract
	maxRoutes    int
	nClasses     int
	mu           sync.RWMutex
	byTemplate   map[string]*[len(methods)]*slot
	rowLabel     map[string]string
	unmatched    [len(methods)]*slot
	excludedSlot *slot
	excluded     map[string]bool
	contractPath map[string]bool
	extra        int
	warned       bool
}

func newRouteTable(c *Contract, served []string, maxRoutes, nClasses int) *routeTable {
	t := &routeTable{c: c, maxRoutes: maxRoutes, nClasses: nClasses, byTemplate: map[string]*[len(methods)]*slot{}, rowLabel: map[string]string{}, excluded: map[string]bool{}, contractPath: map[string]bool{}}
	for _, p := range served {
		t.excluded[p] = true
	}
	for _, p := range c.Probes {
		if p.Method == nil && p.UserAgent == nil {
			t.excluded[p.Path] = true
		}
	}
	for _, r := range c.Routes {
		t.contractPath[r.Path] = true
	}
	t.excludedSlot = &slot{route: Unmatched, method: "other", excluded: true}
	for m := range methods {
		t.unmatched[m] = t.make(Unmatched, m, false, "")
	}
	return t
}

func (t *routeTable) lookup(method, template string) *slot {
	m := methodIndex(method)
	t.mu.RLock()
	row := t.byTemplate[template]
	var s *slot
	if row != nil {
		s = row[m]
	}
	t.mu.RUnlock()
	if s != nil {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	row = t.byTemplate[template]
	if row == nil {
		row = t.addTemplate(template)
	}
	if row[m] == nil {
		row[m] = t.makeFor(t.rowLabel[template], m)
	}
	return row[m]
}

func (t *routeTable) unmatchedFor(method, path string) *slot {
	if t.excluded[path] {
		return t.excludedSlot
	}
	for _, p := range t.c.Probes {
		if p.Path == path {
			return t.lookup(method, path)
		}
	}
	return t.unmatched[methodIndex(method)]
}

func (t *routeTable) isProbePath(template string) bool {
	for _, p := range t.c.Probes {
		if p.Path == template {
			return true
		}
	}
	return false
}

func (t *routeTable) addTemplate(template string) *[len(methods)]*slot {
	if !t.contractPath[template] && !t.excluded[template] && !t.isProbePath(template) {
		if t.extra >= t.maxRoutes {
			if !t.warned {
				t.warned = true
				log.Printf("sloctl: more than %d route templates; further ones are labelled %q. Pass route templates, never raw paths, or raise Options.MaxRoutes.", t.maxRoutes, Overflow)
			}
			row := t.byTemplate[Overflow]
			if row == nil {
				row = &[len(methods)]*slot{}
				t.byTemplate[Overflow] = row
				t.rowLabel[Overflow] = Overflow
			}
			t.byTemplate[template] = row
			t.rowLabel[template] = Overflow
			return row
		}
		t.extra++
	}
	row := &[len(methods)]*slot{}
	t.byTemplate[template] = row
	t.rowLabel[template] = template
	return row
}

func (t *routeTable) makeFor(template string, m int) *slot {
	if t.excluded[template] {
		return t.excludedSlot
	}
	for _, p := range t.c.Probes {
		if p.Path != template || (p.Method != nil && *p.Method != methods[m]) {
			continue
		}
		if p.UserAgent == nil {
			return t.excludedSlot
		}
		return t.make(template, m, false, *p.UserAgent)
	}
	return t.make(template, m, false, "")
}

func (t *routeTable) make(template string, m int, excluded bool, probeUA string) *slot {
	method := methods[m]
	var route *Route
	if template != Unmatched {
		for i := range t.c.Routes {
			if r := &t.c.Routes[i]; r.Path == template && r.Method == method {
				route = r
				break
			}
		}
		if route == nil && method == "HEAD" {
			for i := range t.c.Routes {
				if r := &t.c.Routes[i]; r.Path == template && r.Method == "GET" {
					route = r
					break
				}
			}
		}
	}
	s := &slot{route: template, method: method, sliClass: DefaultSLIClass, weight: 1, thresholdMs: math.Inf(1), excluded: excluded, probeUA: probeUA,
		counts: make([]atomic.Pointer[counterBox], len(statusClasses)*t.nClasses)}
	// Health judges requests that reached a route of the service (the Node SDK's default 'routes').
	s.judged = !excluded && template != Unmatched
	if t.c.DefaultThresholdMs != nil {
		s.thresholdMs = *t.c.DefaultThresholdMs
	}
	if route != nil {
		s.sliClass, s.weight = route.SLIClass, route.Weight
		if route.SLIClass == "" {
			s.sliClass = DefaultSLIClass
		}
		if route.ThresholdMs != nil {
			s.thresholdMs = *route.ThresholdMs
		} else {
			s.thresholdMs = math.Inf(1)
		}
	}
	return s
}

// Matcher finds the route template a request path matches, among templates written like the
// contract's: /products/:id (a parameter is one non-empty segment), /files/* (any rest). Each
// template may be prefixed with a method ("GET /orders"); GET templates also take HEAD. Templates
// with fewer parameters win, so /orders/latest beats /orders/:id (src/sdk/core/match.ts).
type Matcher struct {
	compiled []compiledTemplate
}

type compiledTemplate struct {
	method   string // "" for any
	template string
	segments []string
	param    []bool // segments[i] is a parameter
	rest     bool
	params   int
}

// NewMatcher compiles route templates ("/path" or "METHOD /path").
func NewMatcher(templates []string) *Matcher {
	m := &Matcher{}
	seen := map[string]bool{}
	for _, t := range templates {
		method, path := "", t
		if i := strings.IndexByte(t, ' '); i > 0 {
			method, path = strings.ToUpper(t[:i]), strings.TrimSpace(t[i+1:])
		}
		if !strings.HasPrefix(path, "/") || seen[method+" "+path] {
			continue
		}
		seen[method+" "+path] = true
		parts := strings.Split(path, "/")[1:]
		c := compiledTemplate{method: method, template: path}
		if n := len(parts); n > 0 && strings.HasPrefix(parts[n-1], "*") {
			c.rest = true
			parts = parts[:n-1]
		}
		for _, p := range parts {
			isParam := strings.HasPrefix(p, ":")
			c.segments = append(c.segments, p)
			c.param = append(c.param, isParam)
			if isParam {
				c.params++
			}
		}
		if c.rest {
			c.params++
		}
		m.compiled = append(m.compiled, c)
	}
	sort.SliceStable(m.compiled, func(i, j int) bool {
		a, b := m.compiled[i], m.compiled[j]
		if a.params != b.params {
			return a.params < b.params
		}
		return len(a.segments) > len(b.segments)
	})
	return m
}

// Match returns the template the method and path match, or "" for none.
func (m *Matcher) Match(method, path string) string {
	if !strings.HasPrefix(path, "/") {
		return ""
	}
	for i := range m.compiled {
		c := &m.compiled[i]
		if c.method != "" && c.method != method && !(c.method == "GET" && method == "HEAD") {
			continue
		}
		if c.matches(path) {
			return c.template
		}
	}
	return ""
}

func (c *compiledTemplate) matches(path string) bool {
	end := len(path)
	pos := 1
	for i, seg := range c.segments {
		if pos > end {
			return false
		}
		stop := strings.IndexByte(path[pos:], '/')
		if stop < 0 {
			stop = end
		} else {
			stop += pos
		}
		if c.param[i] {
			if stop == pos {
				return false
			}
		} else if path[pos:stop] != seg {
			return false
		}
		pos = stop + 1
	}
	if c.rest {
		return pos <= end+1
	}
	return pos == end+1 || (len(c.segments) == 0 && end <= 1)
}
