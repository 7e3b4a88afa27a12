package sloctl

import (
	"math"
	"sync"
	"time"
)

// The health composite (src/sdk/core/health.ts): the contract's availability weights applied to
// liveness, recent latency, recent success and critical dependencies, each scoring 1 or 0; a
// signal without evidence is UNKNOWN and scores 1. The JSON is the Node SDK's, key for key.
//
// As in the Node SDK, latency and success go DOWN only when the bad requests (slow ones; for
// success, errors counted once against the objective's share over their mean class weight) are
// more than the objective gives by chance: the one-sided 95% bound n·p + 1.645·√(n·p·(1−p)) + 0.5
// (src/engine/interval-miss.ts). Below the objective but within it the check is UNKNOWN with
// withinNoise; every recent request bad is DOWN whatever the bound. One slow request of 20 at 99%
// no longer answers 503 and takes the replica out of its load balancer.

// HealthReport is what the health endpoint answers.
type HealthReport struct {
	Status       string       `json:"status"` // UP, DEGRADED, DOWN
	Availability float64      `json:"availability"`
	Checks       HealthChecks `json:"checks"`
}

// HealthChecks are the four signals.
type HealthChecks struct {
	Liveness     LivenessCheck     `json:"liveness"`
	Latency      RatioCheck        `json:"latency"`
	Success      RatioCheck        `json:"success"`
	Dependencies DependenciesCheck `json:"dependencies"`
}

// LivenessCheck says whether the process serves and is not draining.
type LivenessCheck struct {
	Status string  `json:"status"`
	Score  int     `json:"score"`
	Weight float64 `json:"weight"`
	Reason string  `json:"reason,omitempty"`
}

// RatioCheck is the latency or success check over the recent window.
type RatioCheck struct {
	Status    string   `json:"status"`
	Score     int      `json:"score"`
	Weight    float64  `json:"weight"`
	Ratio     *float64 `json:"ratio,omitempty"`
	Objective *float64 `json:"objective,omitempty"`
	Requests  float64  `json:"requests"`
	WindowMs  float64  `json:"windowMs"`
	// WithinNoise: below the objective by no more bad requests than it gives by chance (UNKNOWN).
	WithinNoise *WithinNoise `json:"withinNoise,omitempty"`
}

// WithinNoise is a ratio below its objective by noise: Bad of the check's requests, where up to
// UpTo happen at the objective 95% of the time.
type WithinNoise struct {
	Bad  float64 `json:"bad"`
	UpTo float64 `json:"upTo"`
}

// intervalZ is the z of the one-sided 95% bound (src/engine/interval-miss.ts INTERVAL_Z).
const intervalZ = 1.645

// missBound is the most bad requests of n a ratio at objective shows 95% of the time (not rounded).
func missBound(n, objective float64) float64 {
	p := 1 - objective
	return n*p + intervalZ*math.Sqrt(n*p*(1-p)) + 0.5
}

// DependenciesCheck is DOWN when a critical dependency is down.
type DependenciesCheck struct {
	Status  string                      `json:"status"`
	Score   int                         `json:"score"`
	Weight  float64                     `json:"weight"`
	Details map[string]DependencyDetail `json:"details"`
}

// DependencyDetail is one dependency's state in the report.
type DependencyDetail struct {
	Status   string `json:"status"`
	Critical bool   `json:"critical"`
	State    string `json:"state"` // up, down, unknown
	Breaker  string `json:"breaker,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// DependencyState is a dependency's state as the composite reads it.
type DependencyState struct {
	Name     string
	Critical bool
	State    string // up, down, unknown
	Breaker  string // closed, open, half-open, or ""
	Reason   string
}

type recentTotals struct {
	total, fast, weightedErrors, errors, spanMs float64
}

func round9(x float64) float64 { return math.Round(x*1e9) / 1e9 }

func score(status string) int {
	if status == "DOWN" {
		return 0
	}
	return 1
}

func composeHealth(live bool, liveReason string, recent recentTotals, deps []DependencyState, p HealthPolicy) HealthReport {
	w := p.Weights
	enough := recent.total >= float64(p.MinRequests) && recent.total > 0
	lv := LivenessCheck{Status: "UP", Score: 1, Weight: w.Health}
	if !live {
		lv = LivenessCheck{Status: "DOWN", Score: 0, Weight: w.Health, Reason: liveReason}
	}
	// bad: the check's bad requests; each costs badWeight of the objective's share.
	ratioCheck := func(ratio float64, objective *float64, weight, bad, badWeight float64) RatioCheck {
		c := RatioCheck{Status: "UNKNOWN", Weight: weight, Objective: objective, Requests: recent.total, WindowMs: math.Round(recent.spanMs)}
		if enough {
			r := round9(ratio)
			c.Ratio = &r
			if objective != nil {
				if ratio >= *objective {
					c.Status = "UP"
				} else {
					share := math.Min(1, (1-*objective)/math.Max(badWeight, 1e-9))
					upTo := missBound(recent.total, 1-share)
					if bad >= recent.total || bad > upTo {
						c.Status = "DOWN"
					} else {
						c.WithinNoise = &WithinNoise{Bad: bad, UpTo: math.Floor(upTo)}
					}
				}
			}
		}
		c.Score = score(c.Status)
		return c
	}
	var latencyRatio, successRatio float64
	if enough {
		latencyRatio = recent.fast / recent.total
		successRatio = math.Max(0, 1-recent.weightedErrors/recent.total)
	}
	lat := ratioCheck(latencyRatio, p.LatencyObjective, w.Latency, recent.total-recent.fast, 1)
	meanWeight := 1.0
	if recent.errors > 0 {
		meanWeight = recent.weightedErrors / recent.errors
	}
	suc := ratioCheck(successRatio, p.SuccessObjective, w.Success, recent.errors, meanWeight)

	details := map[string]DependencyDetail{}
	criticalDown, anyKnown := false, false
	for _, d := range deps {
		st := "UNKNOWN"
		switch d.State {
		case "up":
			st = "UP"
		case "down":
			st = "DOWN"
		}
		if d.State != "unknown" && d.Critical {
			anyKnown = true
		}
		if d.State == "down" && d.Critical {
			criticalDown = true
		}
		details[d.Name] = DependencyDetail{Status: st, Critical: d.Critical, State: d.State, Breaker: d.Breaker, Reason: d.Reason}
	}
	dc := DependenciesCheck{Status: "UNKNOWN", Score: 1, Weight: w.Dependencies, Details: details}
	if criticalDown {
		dc.Status, dc.Score = "DOWN", 0
	} else if anyKnown {
		dc.Status = "UP"
	}
	a := 1 - w.Health*float64(1-lv.Score) - w.Latency*float64(1-lat.Score) - w.Success*float64(1-suc.Score) - w.Dependencies*float64(1-dc.Score)
	availability := round9(math.Max(0, math.Min(1, a)))
	status := "DEGRADED"
	if !live || availability < p.DownBelow {
		status = "DOWN"
	} else if availability >= 1 {
		status = "UP"
	}
	return HealthReport{Status: status, Availability: availability, Checks: HealthChecks{Liveness: lv, Latency: lat, Success: suc, Dependencies: dc}}
}

// recentWindow counts requests, fast requests, weighted errors and errors over the last windowMs
// in aligned slots (src/sdk/core/recent.ts).
type recentWindow struct {
	mu        sync.Mutex
	windowMs  float64
	slotMs    float64
	total     []float64
	fast      []float64
	errors    []float64
	errCount  []float64
	slotStart float64
	slotEnd   float64
	current   int
	origin    time.Time
}

func newRecentWindow(windowMs float64, slots int) *recentWindow {
	r := &recentWindow{windowMs: windowMs, slotMs: windowMs / float64(slots), total: make([]float64, slots), fast: make([]float64, slots), errors: make([]float64, slots), errCount: make([]float64, slots), origin: time.Now()}
	r.slotStart = 0
	r.slotEnd = r.slotMs
	return r
}

func (r *recentWindow) now() float64 {
	return float64(time.Since(r.origin)) / float64(time.Millisecond)
}

func (r *recentWindow) record(fast bool, errorWeight float64) {
	r.mu.Lock()
	now := r.now()
	if now >= r.slotEnd {
		r.advance(now)
	}
	r.total[r.current]++
	if fast {
		r.fast[r.current]++
	}
	r.errors[r.current] += errorWeight
	if errorWeight > 0 {
		r.errCount[r.current]++
	}
	r.mu.Unlock()
}

func (r *recentWindow) totals() recentTotals {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now >= r.slotEnd {
		r.advance(now)
	}
	var t recentTotals
	for i := range r.total {
		t.total += r.total[i]
		t.fast += r.fast[i]
		t.weightedErrors += r.errors[i]
		t.errors += r.errCount[i]
	}
	t.spanMs = math.Min(r.windowMs, math.Max(0, now))
	return t
}

func (r *recentWindow) advance(now float64) {
	n := len(r.total)
	steps := int(math.Min(float64(n), math.Floor((now-r.slotStart)/r.slotMs)))
	for s := 0; s < steps; s++ {
		r.current = (r.current + 1) % n
		r.total[r.current], r.fast[r.current], r.errors[r.current], r.errCount[r.current] = 0, 0, 0, 0
	}
	r.slotStart = math.Floor(now/r.slotMs) * r.slotMs
	r.slotEnd = r.slotStart + r.slotMs
}
