// Package sloctlgin connects the sloctl SDK to gin: r.Use(sloctlgin.Middleware(sdk)) first.
// The route label is gin's c.FullPath() (the template, /products/:id), "unmatched" when no route
// matched (a request gin redirects before routing, RedirectTrailingSlash's 301, runs no
// middleware and is in no series: wrap the engine with sdk.Middleware to count it); errors are the ones handlers attach with c.Error(err) (the last one, on an answer
// with an error status: one attached to a success, such as a fallback's 200, is a logged error,
// not the request's failure) or report with sloctl.Fail(c.Request, err) (whatever the status); a
// panic is recorded and passed on to gin's Recovery.
//
// An error answer whose class came from its error, not its status, carries
// sloctl.ErrorClassHeader, as sdk.Middleware's do: the error must be attached (c.Error,
// sloctl.Fail) before the body is written, or, with c.AbortWithError / c.AbortWithStatus, before
// the handler chain returns (the middleware holds the header an error status would send at once
// until then, so the error c.AbortWithError attaches after its status still counts).
package sloctlgin

import (
	"bufio"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/sloctl/sloctl-go/sloctl"
)

// Middleware times every request, serves the contract's health and metrics paths.
func Middleware(s *sloctl.SDK) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.ServeEndpoint(c.Writer, c.Request) {
			c.Abort()
			return
		}
		t, r := s.Start(c.Request)
		c.Request = r
		w := &writer{ResponseWriter: c.Writer, s: s, t: t, c: c}
		c.Writer = w
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler {
					t.Fail(&sloctl.PanicError{Value: p})
				}
				w.end()
				// gin's Recovery (installed before this middleware) answers 500.
				status := c.Writer.Status()
				if !c.Writer.Written() {
					status = http.StatusInternalServerError
				}
				t.Finish(c.FullPath(), status, p == http.ErrAbortHandler || sloctl.Aborted(r.Context()))
				panic(p)
			}
			w.end()
			status, aborted := c.Writer.Status(), sloctl.Aborted(r.Context())
			// An error attached with c.Error fails the request only when its answer is an error
			// (4xx/5xx) or never reached the client: gin handlers also attach the errors they
			// recovered from (a fallback answered 200) for a logger to collect, and the client,
			// which sees the 200, counts that answer good (no Sloctl-Error-Class on a success).
			// sloctl.Fail is the explicit report and counts whatever the status.
			if last := c.Errors.Last(); last != nil && (status >= 400 || aborted) {
				t.Fail(last.Err)
			}
			t.Finish(c.FullPath(), status, aborted)
		}()
		c.Next()
	}
}

// writer marks an error answer with sloctl.ErrorClassHeader when the error reported so far (the
// tracker's, else the last one attached with c.Error) gives another class than its status. gin
// sends the header as soon as a handler calls WriteHeaderNow (c.AbortWithStatus, and so
// c.AbortWithError, which attaches its error only afterwards); for a 4xx or 5xx the writer holds
// that until the body, a Flush, a Hijack or the end of the handler chain, whichever comes first.
// net/http buffers the header until then anyway, so nothing reaches the client later; the held
// status is the one sent (a later c.Status cannot change it, as with gin's own writer).
type writer struct {
	gin.ResponseWriter
	s    *sloctl.SDK
	t    *sloctl.Tracker
	c    *gin.Context
	held bool // WriteHeaderNow was called with an error status and not passed on yet
}

// mark sets the header on an error answer not written yet.
func (w *writer) mark() {
	if w.ResponseWriter.Written() {
		return
	}
	status := w.ResponseWriter.Status()
	if status < 400 {
		return
	}
	err := w.t.Err()
	if err == nil {
		if last := w.c.Errors.Last(); last != nil {
			err = last.Err
		}
	}
	if m := w.s.Classifier.Mark(err, status); m != "" {
		w.Header().Set(sloctl.ErrorClassHeader, m)
	}
}

// send passes on a held WriteHeaderNow, marked.
func (w *writer) send() {
	if w.held {
		w.held = false
		w.mark()
		w.ResponseWriter.WriteHeaderNow()
	}
}

// end runs when the handler chain has returned: sends a held header, and marks one gin sends
// later (a status set with c.Status and no body).
func (w *writer) end() {
	w.send()
	w.mark()
	w.c.Writer = w.ResponseWriter
}

func (w *writer) WriteHeader(code int) {
	if !w.held {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *writer) WriteHeaderNow() {
	if w.held || w.ResponseWriter.Written() {
		return
	}
	if w.ResponseWriter.Status() >= 400 {
		w.held = true
		return
	}
	w.ResponseWriter.WriteHeaderNow()
}

func (w *writer) Written() bool { return w.held || w.ResponseWriter.Written() }

func (w *writer) Size() int {
	if w.held {
		return 0
	}
	return w.ResponseWriter.Size()
}

func (w *writer) Write(b []byte) (int, error) {
	w.held = false
	w.mark()
	return w.ResponseWriter.Write(b)
}

func (w *writer) WriteString(s string) (int, error) {
	w.held = false
	w.mark()
	return w.ResponseWriter.WriteString(s)
}

func (w *writer) Flush() {
	w.held = false
	w.mark()
	w.ResponseWriter.Flush()
}

func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.send()
	return w.ResponseWriter.Hijack()
}
