package sloctl

import (
	"context"
	"reflect"
	"strings"
	"syscall"
)

// Classification is an event's error class per the contract.
type Classification struct {
	Class  string  // a contract class, or "none", "unclassified", "aborted"
	Weight float64 // what one event costs in the weighted error ratio (0 for good classes)
	Good   bool
}

// The classes every classifier has besides the contract's (src/sdk/core/classify.ts).
const (
	ClassNone         = "none"
	ClassUnclassified = "unclassified"
	ClassAborted      = "aborted"
)

// MaxChain is the longest error chain walked.
const MaxChain = 32

const statusSlots = 600

// Errno names a contract's `codes` may use, matched with errors.Is(err, errno) along the chain.
var errnoByName = map[string]syscall.Errno{
	"ECONNRESET":    syscall.ECONNRESET,
	"ECONNREFUSED":  syscall.ECONNREFUSED,
	"ECONNABORTED":  syscall.ECONNABORTED,
	"ETIMEDOUT":     syscall.ETIMEDOUT,
	"EPIPE":         syscall.EPIPE,
	"EHOSTUNREACH":  syscall.EHOSTUNREACH,
	"ENETUNREACH":   syscall.ENETUNREACH,
	"ENETDOWN":      syscall.ENETDOWN,
	"EADDRINUSE":    syscall.EADDRINUSE,
	"EADDRNOTAVAIL": syscall.EADDRNOTAVAIL,
	"EAGAIN":        syscall.EAGAIN,
	"EMFILE":        syscall.EMFILE,
	"ENFILE":        syscall.ENFILE,
	"ENOSPC":        syscall.ENOSPC,
	"ENOENT":        syscall.ENOENT,
	"EACCES":        syscall.EACCES,
	"EPERM":         syscall.EPERM,
	"EINTR":         syscall.EINTR,
	"ECANCELED":     syscall.ECANCELED,
}

type compiledClass struct {
	names    map[string]bool
	codes    map[string]bool
	errnos   []syscall.Errno
	statuses [statusSlots]bool
}

// Classifier maps response statuses and errors to the contract's error classes. Safe for
// concurrent use; built once per contract.
type Classifier struct {
	classes  []Classification // contract classes, then none, unclassified, aborted
	compiled []compiledClass
	byStatus [statusSlots]int
	none     int
	unclass  int
	aborted  int
}

// NewClassifier compiles the contract's error classes.
func NewClassifier(errorClasses []ErrorClass) *Classifier {
	k := &Classifier{}
	var ownAborted *ErrorClass
	for i := range errorClasses {
		c := errorClasses[i]
		if c.Name == ClassAborted {
			ownAborted = &errorClasses[i]
		}
		if c.Name == ClassNone || c.Name == ClassUnclassified || c.Name == ClassAborted {
			continue
		}
		cc := compiledClass{names: map[string]bool{}, codes: map[string]bool{}}
		for _, n := range c.Errors {
			cc.names[n] = true
		}
		for _, code := range c.Codes {
			cc.codes[code] = true
			if e, ok := errnoByName[code]; ok {
				cc.errnos = append(cc.errnos, e)
			}
		}
		for _, r := range c.Status {
			for s := r[0]; s <= r[1] && s < statusSlots; s++ {
				if s >= 0 {
					cc.statuses[s] = true
				}
			}
		}
		w := c.Weight
		if c.Good {
			w = 0
		}
		k.classes = append(k.classes, Classification{Class: c.Name, Weight: w, Good: c.Good})
		k.compiled = append(k.compiled, cc)
	}
	k.none = len(k.classes)
	k.classes = append(k.classes, Classification{Class: ClassNone, Weight: 0, Good: true})
	k.unclass = len(k.classes)
	k.classes = append(k.classes, Classification{Class: ClassUnclassified, Weight: 1, Good: false})
	abortedPseudo := len(k.classes)
	ab := Classification{Class: ClassAborted}
	if ownAborted != nil {
		ab.Good = ownAborted.Good
		if !ownAborted.Good {
			ab.Weight = ownAborted.Weight
		}
	}
	k.classes = append(k.classes, ab)
	for s := 0; s < statusSlots; s++ {
		k.byStatus[s] = -1
		for i := range k.compiled {
			if k.compiled[i].statuses[s] {
				k.byStatus[s] = i
				break
			}
		}
		if k.byStatus[s] < 0 {
			if s >= 500 {
				k.byStatus[s] = k.unclass
			} else {
				k.byStatus[s] = k.none
			}
		}
	}
	// A request the client abandoned is what an AbortError wrapping ECONNRESET would be.
	if i := k.errorIndex(&AbortError{}, -1); i != k.unclass {
		k.aborted = i
	} else {
		k.aborted = abortedPseudo
	}
	return k
}

// Classes lists every class an event can get, contract classes first.
func (k *Classifier) Classes() []Classification {
	return append([]Classification(nil), k.classes...)
}

// ErrorClassHeader marks an answer whose error class came from the error it failed with, not
// from its status (sloctl's Node SDK sends the same header): a PricingUnavailableError the contract
// classes transient (weight 0.3), answered 500, which the status alone makes server (2.5). sloctl's
// load generator reads it, so the client's view classes the answer as the service does; it
// honours only a class the contract declares, on a 4xx or 5xx.
const ErrorClassHeader = "Sloctl-Error-Class"

// Mark is the class to send in ErrorClassHeader for an answer with status that failed with err:
// the contract class err gives (its type, name or code along its chain, after the statuses the
// classes list), when it differs from the class status alone gives; "" otherwise, and for a status
// that is not an error.
func (k *Classifier) Mark(err error, status int) string {
	if err == nil || status < 400 || status > 599 {
		return ""
	}
	i := k.errorIndex(err, status)
	if i >= k.none || i == k.statusIndex(status) {
		return ""
	}
	return k.classes[i].Class
}

// Status classifies a response that carried no error.
func (k *Classifier) Status(status int) Classification {
	return k.classes[k.statusIndex(status)]
}

// Error classifies an error (outside HTTP too: queues, jobs).
func (k *Classifier) Error(err error) Classification {
	return k.classes[k.errorIndex(err, -1)]
}

// ErrorWithStatus classifies an error with the response status as further evidence.
func (k *Classifier) ErrorWithStatus(err error, status int) Classification {
	return k.classes[k.errorIndex(err, status)]
}

func (k *Classifier) statusIndex(status int) int {
	if status >= 0 && status < statusSlots {
		return k.byStatus[status]
	}
	if status >= 500 {
		return k.unclass
	}
	return k.none
}

func (k *Classifier) errorIndex(err error, status int) int {
	chain := ErrorChain(err)
	hasStatus := status >= 0 && status < statusSlots
	for i := range k.compiled {
		c := &k.compiled[i]
		if hasStatus && c.statuses[status] {
			return i
		}
		for _, e := range chain {
			if c.matches(e) {
				return i
			}
		}
	}
	return k.unclass
}

// ErrorChain is err and everything it wraps, breadth first: Unwrap() error, and Unwrap() []error
// (Go 1.20's errors.Join and multi-%w; any error implementing it on Go 1.19 too), cycle safe, at
// most MaxChain errors.
func ErrorChain(err error) []error {
	var chain []error
	if err == nil {
		return chain
	}
	queue := []error{err}
	for i := 0; i < len(queue) && len(chain) < MaxChain && i < 4*MaxChain; i++ {
		e := queue[i]
		if e == nil || seen(chain, e) {
			continue
		}
		chain = append(chain, e)
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		case interface{ Unwrap() error }:
			queue = append(queue, u.Unwrap())
		}
	}
	return chain
}

func seen(chain []error, e error) bool {
	t := reflect.TypeOf(e)
	if !t.Comparable() {
		return false
	}
	for _, c := range chain {
		if reflect.TypeOf(c) == t && equal(c, e) {
			return true
		}
	}
	return false
}

// equal is c == e, false where == panics (a comparable struct holding an uncomparable value in
// an interface field).
func equal(c, e error) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return c == e
}

// TypeNames are the names an error matches a class's `errors` by: its type name ("TimeoutError",
// the pointer's element type for *T) and the package-qualified one ("mypkg.TimeoutError");
// "TimeoutError" for an error whose Timeout() is true (net.Error, context.DeadlineExceeded,
// os.ErrDeadlineExceeded); "AbortError" for context.Canceled.
func TypeNames(e error) []string {
	var names []string
	t := reflect.TypeOf(e)
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	if n := t.Name(); n != "" {
		names = append(names, n)
		if p := t.PkgPath(); p != "" {
			names = append(names, p[strings.LastIndex(p, "/")+1:]+"."+n)
		}
	}
	if te, ok := e.(interface{ Timeout() bool }); ok && te.Timeout() {
		names = append(names, "TimeoutError")
	}
	if e == context.Canceled {
		names = append(names, "AbortError")
	}
	return names
}

func (c *compiledClass) matches(e error) bool {
	if len(c.names) > 0 {
		for _, n := range TypeNames(e) {
			if c.names[n] {
				return true
			}
		}
	}
	if len(c.codes) > 0 {
		if errno, ok := e.(syscall.Errno); ok {
			for _, want := range c.errnos {
				if errno == want {
					return true
				}
			}
		}
		if ce, ok := e.(interface{ Code() string }); ok && c.codes[ce.Code()] {
			return true
		}
	}
	if s, ok := StatusOf(e); ok && s >= 0 && s < statusSlots && c.statuses[s] {
		return true
	}
	return false
}

// StatusOf is the HTTP status an error carries itself: StatusCode() int or HTTPStatus() int.
func StatusOf(e error) (int, bool) {
	switch s := e.(type) {
	case interface{ StatusCode() int }:
		return s.StatusCode(), true
	case interface{ HTTPStatus() int }:
		return s.HTTPStatus(), true
	}
	return 0, false
}

// ResponseStatus is the status to answer an error with: a 4xx/5xx the error (or one it wraps)
// carries, else 500.
func ResponseStatus(err error) int {
	for _, e := range ErrorChain(err) {
		if s, ok := StatusOf(e); ok && s >= 400 && s <= 599 {
			return s
		}
	}
	return 500
}

// AbortError is what a request the client abandoned is classified as (with ECONNRESET), as in
// the Node SDK: the contract's transient class usually names it.
type AbortError struct{}

func (*AbortError) Error() string {
	return "the client closed the connection before the response finished"
}

// Unwrap makes errors.Is(err, syscall.ECONNRESET) true.
func (*AbortError) Unwrap() error { return syscall.ECONNRESET }
