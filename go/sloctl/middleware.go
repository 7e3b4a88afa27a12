package sloctl

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
)

// Middleware times every request of next (net/http), labels it with its route template (SetRoute,
// Options.RouteOf, else the contract's templates and Options.Routes, else "unmatched"),
// classifies it (the status sent, and an error reported with Fail or panicked with), and serves
// the contract's health and metrics paths. A panic is recovered, recorded and answered 500
// (http.ErrAbortHandler is re-panicked, as net/http expects). A request whose client went away
// before the handler returned (its context canceled) is "aborted".
func (s *SDK) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.ServeEndpoint(w, r) {
			return
		}
		t, r := s.Start(r)
		rw := &responseWriter{ResponseWriter: w, t: t}
		defer func() {
			p := recover()
			if p != nil {
				if p == http.ErrAbortHandler {
					t.Finish(s.resolve(r), rw.Status(), true)
					panic(p)
				}
				err := &PanicError{Value: p}
				t.Fail(err)
				if !rw.wrote {
					code := ResponseStatus(err)
					http.Error(rw, http.StatusText(code), code)
				}
				s.onError(r, err)
			}
			t.Finish(s.resolve(r), rw.Status(), Aborted(r.Context()))
		}()
		next.ServeHTTP(rw, r)
	})
}

// Aborted says whether the client went away: the request's context was canceled (not timed out).
func Aborted(ctx context.Context) bool { return errors.Is(ctx.Err(), context.Canceled) }

// responseWriter records the status, and marks an error answer with ErrorClassHeader when the
// error reported (Fail, Error) before it gives another class than its status; it keeps Flush and
// Hijack, and Unwrap for http.ResponseController (Go 1.20).
type responseWriter struct {
	http.ResponseWriter
	t      *Tracker
	status int
	wrote  bool
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
		if code >= 400 && w.t != nil {
			if m := w.t.s.Classifier.Mark(w.t.Err(), code); m != "" {
				w.Header().Set(ErrorClassHeader, m)
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Status is what was sent (200 when the handler wrote nothing: net/http sends 200).
func (w *responseWriter) Status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.status
}

func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if !w.wrote {
			w.status, w.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}

func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("sloctl: the underlying ResponseWriter cannot hijack")
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
