package sloctl

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Breaker states a dependency reports.
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half-open"
)

// Dependency is a declared dependency's live state, read by the health composite and
// sloctl_dependency_up. Feed it from a circuit breaker (Breaker: a function returning its
// state, e.g. from sony/gobreaker's State().String()), or SetBreakerState when the breaker
// changes, or a check (Check) run with a timeout when health is asked for, or all of them: it is
// down when a breaker is open or the check fails. Nothing attached: "unknown".
type Dependency struct {
	Name     string
	Critical bool

	mu           sync.Mutex
	breakers     []func() string
	pushed       string
	check        func(context.Context) error
	checkTimeout time.Duration
}

// Breaker attaches a function that returns the breaker's state: "closed", "open" or "half-open".
func (d *Dependency) Breaker(state func() string) *Dependency {
	d.mu.Lock()
	d.breakers = append(d.breakers, state)
	d.mu.Unlock()
	return d
}

// SetBreakerState reports the breaker's state as it changes ("closed", "open", "half-open").
func (d *Dependency) SetBreakerState(state string) *Dependency {
	d.mu.Lock()
	d.pushed = state
	d.mu.Unlock()
	return d
}

// Check attaches a check run when health is asked for; an error or a timeout is down.
func (d *Dependency) Check(fn func(ctx context.Context) error, timeout time.Duration) *Dependency {
	if timeout <= 0 {
		timeout = time.Second
	}
	d.mu.Lock()
	d.check, d.checkTimeout = fn, timeout
	d.mu.Unlock()
	return d
}

// State is the dependency's state now (runs the check, if one is attached).
func (d *Dependency) State(ctx context.Context) DependencyState {
	d.mu.Lock()
	states := make([]string, 0, len(d.breakers)+1)
	for _, b := range d.breakers {
		states = append(states, b())
	}
	if d.pushed != "" {
		states = append(states, d.pushed)
	}
	check, timeout := d.check, d.checkTimeout
	d.mu.Unlock()

	base := DependencyState{Name: d.Name, Critical: d.Critical}
	breaker := ""
	for _, s := range states {
		if breaker == "" || s == BreakerOpen || (s == BreakerHalfOpen && breaker == BreakerClosed) {
			breaker = s
		}
	}
	base.Breaker = breaker
	if breaker == BreakerOpen {
		base.State, base.Reason = "down", "circuit breaker open"
		return base
	}
	if check == nil {
		base.State = "unknown"
		if breaker != "" {
			base.State = "up"
		}
		return base
	}
	if err := runCheck(ctx, check, timeout); err != nil {
		base.State, base.Reason = "down", err.Error()
		return base
	}
	base.State = "up"
	return base
}

func runCheck(ctx context.Context, check func(context.Context) error, timeout time.Duration) (err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("check panicked: %v", p)
			}
		}()
		if e := check(ctx); e != nil {
			done <- fmt.Errorf("check failed: %v", e)
			return
		}
		done <- nil
	}()
	select {
	case err = <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("check timed out after %dms", timeout.Milliseconds())
	}
}
