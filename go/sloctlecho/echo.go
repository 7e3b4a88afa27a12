// Package sloctlecho connects the sloctl SDK to echo v4: e.Use(sloctlecho.Middleware(sdk)).
// The route label is echo's c.Path() when a registered route matched (the template,
// /products/:id), "unmatched" otherwise (echo 4.2 puts the raw path in c.Path() for a 404, which
// must never become a label); the error a handler returns is recorded and then handed to echo's
// HTTPErrorHandler, which answers it (an *echo.HTTPError's Code is its status).
//
// An error answer whose class came from its error, not its status, carries
// sloctl.ErrorClassHeader, as sdk.Middleware's do: the error returned (or reported with
// sloctl.Fail before the handler writes its answer) is known when the status goes out, since the
// middleware records it before handing it to HTTPErrorHandler. Not an error returned after the
// handler already wrote its answer (echo's error handler then writes nothing either).
package sloctlecho

import (
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/sloctl/sloctl-go/sloctl"
)

// Middleware times every request, serves the contract's health and metrics paths.
func Middleware(s *sloctl.SDK) echo.MiddlewareFunc {
	var known sync.Map // "METHOD path" -> bool: a route echo has
	registered := func(e *echo.Echo, method, path string) bool {
		key := method + " " + path
		if v, ok := known.Load(key); ok {
			return v.(bool)
		}
		found := false
		for _, r := range e.Routes() {
			if r.Path == path && r.Method == method {
				found = true
				break
			}
		}
		known.Store(key, found)
		return found
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if s.ServeEndpoint(c.Response(), c.Request()) {
				return nil
			}
			t, r := s.Start(c.Request())
			c.SetRequest(r)
			res := c.Response()
			// Runs as the status is written (by the handler, or by HTTPErrorHandler for the error
			// recorded below), with the status it writes.
			res.Before(func() {
				if m := s.Classifier.Mark(t.Err(), res.Status); m != "" {
					res.Header().Set(sloctl.ErrorClassHeader, m)
				}
			})
			defer func() {
				if p := recover(); p != nil {
					if p != http.ErrAbortHandler {
						t.Fail(&sloctl.PanicError{Value: p})
					}
					t.Finish(routeOf(c, registered), http.StatusInternalServerError, p == http.ErrAbortHandler || sloctl.Aborted(r.Context()))
					panic(p)
				}
			}()
			err := next(c)
			if err != nil {
				t.Fail(errorOf(err))
				c.Error(err)
			}
			t.Finish(routeOf(c, registered), c.Response().Status, sloctl.Aborted(r.Context()))
			return nil
		}
	}
}

func routeOf(c echo.Context, registered func(*echo.Echo, string, string) bool) string {
	p := c.Path()
	if p == "" || !registered(c.Echo(), c.Request().Method, p) {
		return ""
	}
	return p
}

// httpError carries an *echo.HTTPError's status for the classifier, and unwraps to its Internal.
type httpError struct{ *echo.HTTPError }

func (e httpError) StatusCode() int { return e.Code }
func (e httpError) Unwrap() error   { return e.Internal }

func errorOf(err error) error {
	if he, ok := err.(*echo.HTTPError); ok {
		return httpError{he}
	}
	return err
}
